-- 0007_queue_speed.sql: the agent's cycle (claim, reply, resolve) with
-- fewer statements and fewer row versions; same rules, same event log.
-- Measured on the bench (perf, pg_stat_statements): every statement that
-- writes cases, case_events or replies re-reads and re-plans all their CHECK
-- constraints (ExecConstraints: ~11% of backend CPU), and each UPDATE of a
-- case is non-HOT (state sits in partial-index predicates), so it inserts
-- into up to five indexes. heed reply --resolve moved the case twice
-- (claimed -> waiting -> resolved), and the second UPDATE of a row version
-- our own transaction created also re-checked the author's foreign key,
-- which locks the authors row (WAL, and contention on a shared customer).
-- And the outbox wake-up moves out of the agent's reply transaction: a
-- commit that NOTIFYs holds the cluster-wide notify lock through its WAL
-- flush, so agents' reply commits queued behind each other (the bench's
-- dominant wait, Lock:object, at 4 and 16 agents; queue study pitfall 3).

-- Only replies nobody wakes the responder for after commit notify in the
-- inserting transaction: automatic acknowledgements (queued by one
-- responder, maybe posted by another). A human reply's wake-up is sent by
-- heed_queue_reply() in responder/queue.c in its own transaction, which
-- writes no WAL and so never waits for a flush while holding the lock. A
-- lost wake-up only delays the reply to the responder's next poll.
-- (The trigger is made below, after the domains: it names columns whose
-- type changes there.)

-- Queue a reply (see 0004): the same checks in the same order, then the
-- reply, the case's move and its events in ONE statement. With p_resolve
-- the case goes from claimed to resolved in one UPDATE; the log still shows
-- reply_queued, then resolved, as two events.
CREATE OR REPLACE FUNCTION heed_queue_reply(p_case bigint, p_text text,
                                            p_template text DEFAULT NULL,
                                            p_key text DEFAULT NULL,
                                            p_resolve boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me  text := heed_q_actor('heed_agent');
	c     cases;
	t     record;
	v_old replies;
	v_id  bigint;
	v_mid text;
	v_to  text;
BEGIN
	-- heed_q_lock, inlined for the common case (the hot path of a cycle)
	SELECT * INTO c FROM cases WHERE id = p_case FOR UPDATE;
	IF NOT FOUND OR (c.state = 'claimed' AND c.lease_until < now()) THEN
		c := heed_q_lock(p_case, v_me);
	END IF;
	IF p_key IS NOT NULL THEN
		SELECT * INTO v_old FROM replies WHERE idempotency_key = p_key;
		IF FOUND THEN
			IF v_old.case_id <> p_case OR v_old.agent <> v_me OR v_old.text <> p_text THEN
				RAISE EXCEPTION 'idempotency key "%" belongs to another reply', p_key
					USING ERRCODE = 'HQ005';
			END IF;
			RETURN v_old.id;
		END IF;
		IF p_key !~ '^[A-Za-z0-9._:~-]{8,100}$' THEN
			RAISE EXCEPTION 'bad idempotency key "%"', p_key
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
	END IF;
	IF c.state <> 'claimed' OR c.claimed_by <> v_me THEN
		PERFORM heed_q_holder(c, v_me, true);
	END IF;
	PERFORM heed_q_check_text(p_text, 10000, 'reply');
	IF p_template IS NOT NULL AND NOT EXISTS (SELECT 1 FROM templates WHERE name = p_template) THEN
		RAISE EXCEPTION 'no template "%"', p_template USING ERRCODE = 'HQ002';
	END IF;
	-- What the reply answers, a reply already on its way, and both steps
	-- through the state machine (as heed_q_move would take them): one
	-- query, since each statement here costs an executor start.
	SELECT g.mention_id, g.can_post, g.reason,
	       (SELECT p.id FROM replies p
	        WHERE p.case_id = c.id AND p.kind = 'human'
	          AND p.state IN ('queued', 'sending', 'unknown') LIMIT 1) AS pending,
	       r.to_state AS mid, s.to_state AS to_state
	INTO t
	FROM heed_q_target(c) g
	LEFT JOIN case_transitions r ON r.op = 'reply' AND r.from_state = c.state
	LEFT JOIN case_transitions s ON s.op = 'resolve' AND s.from_state = r.to_state;
	v_id := t.pending; v_mid := t.mid; v_to := t.to_state;
	IF NOT t.can_post THEN
		RAISE EXCEPTION '%', t.reason USING ERRCODE = 'HQ004';
	END IF;
	IF v_id IS NOT NULL THEN
		RAISE EXCEPTION 'case % already has a reply on its way (reply %)', c.id, v_id
			USING ERRCODE = 'HQ005';
	END IF;
	IF v_mid IS NULL THEN
		RAISE EXCEPTION 'cannot reply to case %: it is %', c.id, c.state USING ERRCODE = 'HQ003';
	ELSIF p_resolve AND v_to IS NULL THEN
		RAISE EXCEPTION 'cannot resolve case %: it is %', c.id, v_mid USING ERRCODE = 'HQ003';
	END IF;
	IF NOT p_resolve THEN
		v_to := v_mid;
	END IF;
	-- The columns follow heed_q_move for a move that does not end claimed
	-- (neither 'reply' nor 'resolve' does: the CHECKs of 0001 would refuse
	-- a claimed case without an agent).
	WITH r AS (
		INSERT INTO replies (case_id, mention_id, platform, kind, text, template, agent,
		                     idempotency_key)
		VALUES (c.id, t.mention_id, c.platform, 'human', p_text, p_template, v_me,
		        coalesce(p_key, 'heed-' || replace(gen_random_uuid()::text, '-', '')))
		RETURNING id),
	m AS (
		UPDATE cases x SET
			state = v_to, claimed_by = NULL, claimed_at = NULL, lease_until = NULL,
			resolved_at = CASE WHEN v_to IN ('resolved', 'ignored') THEN now() END,
			updated_at = now()
		WHERE x.id = c.id
		RETURNING x.id),
	e AS (
		INSERT INTO case_events (case_id, actor, kind, detail)
		SELECT m.id, v_me, ev.kind, ev.detail
		FROM m, r, LATERAL (VALUES
			(1, 'reply_queued', jsonb_build_object('reply_id', r.id, 'template', p_template,
			                                       'mention_id', t.mention_id)),
			(2, 'resolved', '{}'::jsonb)) ev (ord, kind, detail)
		WHERE ev.ord = 1 OR p_resolve
		ORDER BY ev.ord)
	SELECT r.id INTO v_id FROM r;
	RETURN v_id;
END $$;

-- Single-column rules of the hot tables become domains. PostgreSQL 15
-- re-reads (stringToNode) and re-plans every table CHECK of a table on every
-- statement that writes it; a domain's CHECK is parsed once per session
-- (typcache). The IN lists were the costliest to re-read: 15% of the
-- backend's CPU in a claim-reply-resolve cycle. The rules are the same;
-- the rules that span columns stay table CHECKs.
CREATE DOMAIN heed_platform AS text
	CHECK (VALUE IN ('mastodon', 'bluesky', 'reddit', 'x', 'hn'));
CREATE DOMAIN heed_case_state AS text
	CHECK (VALUE IN ('new', 'open', 'claimed', 'waiting', 'resolved', 'ignored'));
CREATE DOMAIN heed_event_kind AS text CHECK (VALUE IN (
	'opened', 'mention_added', 'claimed', 'released', 'assigned',
	'stolen', 'lease_expired', 'reply_queued', 'reply_sent',
	'reply_failed', 'reply_recorded', 'acknowledged', 'noted',
	'tagged', 'snoozed', 'resolved', 'ignored', 'reopened',
	'escalated', 'breached', 'priority_changed'));
CREATE DOMAIN heed_reply_state AS text
	CHECK (VALUE IN ('queued', 'sending', 'sent', 'failed', 'unknown'));
CREATE DOMAIN heed_reply_kind AS text CHECK (VALUE IN ('human', 'auto_ack', 'recorded'));
CREATE DOMAIN heed_nonempty AS text CHECK (VALUE <> '');
CREATE DOMAIN heed_percent AS smallint CHECK (VALUE BETWEEN 0 AND 100);
CREATE DOMAIN heed_escalation AS smallint CHECK (VALUE BETWEEN 0 AND 3);
CREATE DOMAIN heed_reply_text AS text CHECK (char_length(VALUE) BETWEEN 1 AND 10000);
CREATE DOMAIN heed_platform_key AS text
	CHECK (char_length(VALUE) <= 512 AND VALUE ~ '^[A-Za-z0-9._:~-]+$');
CREATE DOMAIN heed_count AS integer CHECK (VALUE >= 0);

ALTER TABLE cases
	DROP CONSTRAINT cases_brand_check, DROP CONSTRAINT cases_platform_check,
	DROP CONSTRAINT cases_thread_key_check, DROP CONSTRAINT cases_state_check,
	DROP CONSTRAINT cases_priority_check, DROP CONSTRAINT cases_escalation_level_check,
	ALTER COLUMN brand TYPE heed_nonempty, ALTER COLUMN platform TYPE heed_platform,
	ALTER COLUMN thread_key TYPE heed_nonempty, ALTER COLUMN state TYPE heed_case_state,
	ALTER COLUMN priority TYPE heed_percent,
	ALTER COLUMN escalation_level TYPE heed_escalation;
ALTER TABLE case_events
	DROP CONSTRAINT case_events_kind_check, ALTER COLUMN kind TYPE heed_event_kind;
-- The outbox trigger names columns, so it is dropped and made again.
DROP TRIGGER replies_outbox_notify ON replies;
ALTER TABLE replies
	DROP CONSTRAINT replies_platform_check, DROP CONSTRAINT replies_kind_check,
	DROP CONSTRAINT replies_text_check, DROP CONSTRAINT replies_idempotency_key_check,
	DROP CONSTRAINT replies_state_check, DROP CONSTRAINT replies_attempts_check,
	DROP CONSTRAINT replies_platform_key_check,
	ALTER COLUMN platform TYPE heed_platform, ALTER COLUMN kind TYPE heed_reply_kind,
	ALTER COLUMN text TYPE heed_reply_text, ALTER COLUMN idempotency_key TYPE heed_nonempty,
	ALTER COLUMN state TYPE heed_reply_state, ALTER COLUMN attempts TYPE heed_count,
	ALTER COLUMN platform_key TYPE heed_platform_key;
CREATE TRIGGER replies_outbox_notify AFTER INSERT ON replies
	FOR EACH ROW WHEN (NEW.kind <> 'human' AND NEW.state = 'queued')
	EXECUTE FUNCTION heed_outbox_notify();

-- RETURN QUERY wants the declared column types exactly: the two functions
-- of 0005 that return these columns say text where they now are domains.
-- Same bodies as in 0005, with the casts.
CREATE OR REPLACE FUNCTION heed_outbox_take(p_lease interval, p_limit integer)
RETURNS TABLE (reply_id bigint, case_id bigint, platform text, brand text,
               kind text, body text, idempotency_key text, platform_key text,
               attempt integer, check_first boolean, target_id text,
               target_raw text, target_author text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_responder');
BEGIN
	IF p_lease IS NULL OR p_lease < interval '1 second' OR p_lease > interval '1 day' THEN
		RAISE EXCEPTION 'lease % is not between 1 second and 1 day', p_lease
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY
	WITH pick AS (
		SELECT r.id, r.state FROM replies r
		WHERE r.state IN ('queued', 'sending', 'unknown')
		  AND r.next_attempt_at <= now()
		ORDER BY r.next_attempt_at
		LIMIT greatest(p_limit, 1)
		FOR UPDATE SKIP LOCKED),
	u AS (
		UPDATE replies r
		SET state = 'sending', attempts = r.attempts + 1,
		    next_attempt_at = now() + p_lease,
		    platform_key = CASE WHEN r.platform = 'bluesky'
		                        THEN coalesce(r.platform_key, heed_tid(clock_timestamp(), r.id))
		                        ELSE r.platform_key END
		FROM pick
		WHERE r.id = pick.id
		RETURNING r.id, r.case_id, r.platform, r.kind, r.text, r.idempotency_key,
		          r.platform_key, r.attempts, pick.state <> 'queued' AS check_first,
		          r.mention_id)
	SELECT u.id, u.case_id, u.platform::text, c.brand::text, u.kind::text, u.text::text,
	       u.idempotency_key::text, u.platform_key::text, u.attempts::integer,
	       u.check_first, m.external_id, m.raw::text, a.handle
	FROM u
	JOIN cases c ON c.id = u.case_id
	LEFT JOIN mentions m ON m.id = u.mention_id
	LEFT JOIN authors a ON a.id = m.author_id
	ORDER BY u.id;
	PERFORM v_me;
END $$;

CREATE OR REPLACE FUNCTION heed_auto_ack_due(p_brand text, p_platforms text[], p_levels text[],
                                  p_negative boolean, p_max_age interval,
                                  p_limit integer)
RETURNS TABLE (case_id bigint, platform text, author_handle text,
               author_name text, sentiment_label text, urgency_level text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_responder');
BEGIN
	PERFORM v_me;
	RETURN QUERY
	SELECT c.id, c.platform::text, a.handle, a.display_name, f.sentiment_label, f.urgency_level
	FROM cases c
	JOIN authors a ON a.id = c.author_id
	CROSS JOIN LATERAL (
		SELECT m.sentiment_label, m.urgency_level FROM mentions m
		WHERE m.case_id = c.id AND m.needs_reply AND NOT m.is_spam AND NOT m.is_own
		ORDER BY m.posted_at, m.id LIMIT 1) f
	WHERE c.brand = p_brand
	  AND c.platform = ANY (p_platforms)
	  AND c.state IN ('new', 'open', 'claimed')
	  AND c.opened_at >= now() - p_max_age
	  AND c.first_ack_at IS NULL AND c.first_response_at IS NULL
	  AND ((p_negative AND f.sentiment_label = 'negative')
	       OR f.urgency_level = ANY (coalesce(p_levels, '{}')))
	  AND NOT EXISTS (SELECT 1 FROM replies r WHERE r.case_id = c.id)
	  AND (SELECT t.can_post FROM heed_q_target(c) t)
	ORDER BY c.opened_at, c.id
	LIMIT greatest(p_limit, 1);
END $$;

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
-- 0006 is reserved for another change; the numbers need not be contiguous.

-- Only replies nobody wakes the responder for after commit notify in the
-- inserting transaction: automatic acknowledgements (queued by one
-- responder, maybe posted by another). A human reply's wake-up is sent by
-- heed_queue_reply() in responder/queue.c in its own transaction, which
-- writes no WAL and so never waits for a flush while holding the lock. A
-- lost wake-up only delays the reply to the responder's next poll.
DROP TRIGGER replies_outbox_notify ON replies;
CREATE TRIGGER replies_outbox_notify AFTER INSERT ON replies
	FOR EACH ROW WHEN (NEW.kind <> 'human' AND NEW.state = 'queued')
	EXECUTE FUNCTION heed_outbox_notify();

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
	SELECT * INTO t FROM heed_q_target(c);
	IF NOT t.can_post THEN
		RAISE EXCEPTION '%', t.reason USING ERRCODE = 'HQ004';
	END IF;
	SELECT id INTO v_id FROM replies
	WHERE case_id = c.id AND kind = 'human' AND state IN ('queued', 'sending', 'unknown');
	IF FOUND THEN
		RAISE EXCEPTION 'case % already has a reply on its way (reply %)', c.id, v_id
			USING ERRCODE = 'HQ005';
	END IF;
	-- Both steps through the state machine, as heed_q_move would take them.
	SELECT r.to_state, s.to_state INTO v_mid, v_to
	FROM case_transitions r
	LEFT JOIN case_transitions s ON s.op = 'resolve' AND s.from_state = r.to_state
	WHERE r.op = 'reply' AND r.from_state = c.state;
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

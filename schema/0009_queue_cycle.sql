-- 0009_queue_cycle.sql: an agent's claim-reply-resolve cycle does less
-- work; the same checks in the same order, the same writes and events.
-- Measured with callgrind (200 cycles in a single-user backend) and the
-- bench's stderr figures; see the commit messages for the numbers.
--
-- 1. The validators run as expressions, not statements. PERFORM f() runs
--    a whole statement (plan lookup, executor start and end) to call f;
--    v := f() is evaluated as a simple expression. So heed_q_check_lease
--    and heed_q_check_text return true instead of nothing (their other
--    callers PERFORM them as before) and the hot paths assign them. A
--    reply without a template no longer runs the template's EXISTS query.
--
-- 2. A reply on its way is found by the case's own replies. The check said
--    state IN ('queued', 'sending', 'unknown'), the outbox index's own
--    predicate; with statistics taken while the outbox was empty the
--    planner chose that index and walked the whole outbox for each reply
--    (3 ms with 6,000 replies waiting, as when the responder is down and
--    agents keep answering). NOT IN ('sent', 'failed') says the same over
--    heed_reply_state's five values, matches no partial index, and goes by
--    replies_case_idx: the case's few replies, whatever the statistics say.
--
-- 3. heed_queue_reply wakes the responder itself, and only when the outbox
--    had nothing due: a responder with due work takes again at once
--    (respond.c), so a wake-up then is wasted. Before, responder/queue.c
--    sent one after every reply in a transaction of its own (0007): a
--    third round trip and commit per cycle. Notifying in the reply's own
--    transaction holds the notify lock through its WAL flush (0007's reason
--    to move it out), but only replies into an idle outbox notify now, and
--    those do not come in bursts: under load the outbox has due work and
--    nobody notifies. The one race: a reply that commits just after the
--    responder found nothing due, while another reply was due when the
--    reply looked, waits for the responder's next poll ([respond]
--    interval, 5 s by default).
--
-- 4. An idempotency key's length and alphabet are two tests, not one
--    bounded repetition. The rule is the same (8 to 100 characters, each a
--    letter, digit or one of . _ : ~ -), but PostgreSQL's regex engine runs
--    '^[...]{8,100}$' by expanding the count into states: 20 us a key,
--    84,000 instructions, 4% of the whole cycle (callgrind, 200 cycles with
--    keys: 1.997M instructions a cycle before, 1.916M after). The negated
--    class alone is a single-state search (0.8 us).
--
-- 5. Taking or renewing a claim (heed_claim_next, heed_claim, heed_renew)
--    commits without waiting for the disk: synchronous_commit off for that
--    transaction only. A claim is a lease: it ends by itself unless
--    renewed, and nothing an agent sends depends on it having survived. If
--    the server crashes in the moment after a claim commits, before the WAL
--    reaches the disk (at most wal_writer_delay, 200 ms by default, and
--    less whenever any durable commit follows, since WAL is flushed in
--    order), the claim is lost as if its lease had run out: the case is back
--    in the queue, the claim's event is gone with it, and the agent's reply
--    is refused until they claim it again. Replies, resolves, notes, tags,
--    every change to the outbox and every other write still wait for the
--    disk. The queue study (shared/reference/postgres-queues.md 4) allows
--    synchronous_commit off exactly for statements whose loss in a crash is
--    harmless, heartbeats being its example. A claim's commit was half the
--    WAL flushes of a cycle: at 4 agents, 0.55-0.65 flushes a cycle instead
--    of about 1.1, and 15% less backend CPU. set_config(..., true) is SET
--    LOCAL: it lasts until the end of the claim's transaction, and the
--    functions' own SET search_path does not undo it (a function's SET
--    clause restores only the variables it names). heed_claim and
--    heed_renew are otherwise as in 0004.

DROP FUNCTION heed_q_check_lease(interval);
CREATE FUNCTION heed_q_check_lease(p_lease interval) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	IF p_lease IS NULL OR p_lease < interval '1 second' OR p_lease > interval '12 hours' THEN
		RAISE EXCEPTION 'lease % is not between 1 second and 12 hours', p_lease
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN true;
END $$;
DROP FUNCTION heed_q_check_text(text, integer, text);
CREATE FUNCTION heed_q_check_text(p_text text, p_max integer, p_what text)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	IF p_text IS NULL OR btrim(p_text, E' \t\n') = '' THEN
		RAISE EXCEPTION '% is empty', p_what USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF char_length(p_text) > p_max THEN
		RAISE EXCEPTION '% is % characters long; at most % are allowed',
			p_what, char_length(p_text), p_max
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF p_text ~ '[\x01-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]' THEN
		RAISE EXCEPTION '% contains control characters', p_what
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF p_what = 'reply' AND p_text ~ '\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}' THEN
		RAISE EXCEPTION 'reply has an unfilled {{placeholder}}'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN true;
END $$;
REVOKE ALL ON FUNCTION heed_q_check_lease(interval), heed_q_check_text(text, integer, text)
FROM PUBLIC;

CREATE OR REPLACE FUNCTION heed_claim_next(p_lease interval DEFAULT '5 minutes',
                                OUT claimed_case bigint, OUT claimed_until timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_agent');
	v_ok boolean := heed_q_check_lease(p_lease);  -- an expression, not PERFORM
	v_async text := set_config('synchronous_commit', 'off', true);  -- a lease (5. above)
BEGIN
	IF EXISTS (SELECT 1 FROM cases WHERE state = 'claimed' AND lease_until < now()) THEN
		PERFORM heed_q_expire(v_me);
	END IF;
	WITH u AS (
		UPDATE cases c
		SET state = t.to_state, claimed_by = v_me, claimed_at = now(),
		    lease_until = now() + p_lease, updated_at = now()
		FROM case_transitions t
		WHERE c.id = (SELECT q.id FROM cases q
		              WHERE q.state IN ('new', 'open')
		                AND (q.snoozed_until IS NULL OR q.snoozed_until <= now())
		              ORDER BY q.priority DESC, q.due_at
		              LIMIT 1 FOR UPDATE SKIP LOCKED)
		  AND t.op = 'claim' AND t.from_state = c.state
		RETURNING c.id, c.lease_until),
	e AS (
		INSERT INTO case_events (case_id, actor, kind, detail)
		SELECT u.id, v_me, 'claimed',
		       jsonb_build_object('lease_until', u.lease_until, 'next', true)
		FROM u)
	SELECT u.id, u.lease_until INTO claimed_case, claimed_until FROM u;
END $$;

CREATE OR REPLACE FUNCTION heed_claim(p_case bigint, p_steal boolean DEFAULT false,
                           p_lease interval DEFAULT '5 minutes')
RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_agent');
	c    cases;
	v_async text := set_config('synchronous_commit', 'off', true);  -- a lease (5. above)
BEGIN
	PERFORM heed_q_check_lease(p_lease);
	c := heed_q_lock(p_case, v_me);
	IF c.state = 'claimed' AND c.claimed_by = v_me THEN
		c := heed_q_move(c, 'renew', v_me, p_lease, NULL, NULL, NULL);
	ELSIF c.state = 'claimed' THEN
		IF NOT p_steal THEN
			PERFORM heed_q_holder(c, v_me, false);
		END IF;
		c := heed_q_move(c, 'claim', v_me, p_lease, v_me, 'stolen',
			jsonb_build_object('from', c.claimed_by, 'to', v_me));
	ELSE
		c := heed_q_move(c, 'claim', v_me, p_lease, v_me, 'claimed', NULL);
	END IF;
	RETURN c.lease_until;
END $$;

CREATE OR REPLACE FUNCTION heed_renew(p_case bigint, p_lease interval DEFAULT '5 minutes')
RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_agent');
	c    cases;
	v_async text := set_config('synchronous_commit', 'off', true);  -- a lease (5. above)
BEGIN
	PERFORM heed_q_check_lease(p_lease);
	c := heed_q_lock(p_case, v_me);
	PERFORM heed_q_holder(c, v_me, true);
	c := heed_q_move(c, 'renew', v_me, p_lease, NULL, NULL, NULL);
	RETURN c.lease_until;
END $$;

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
	v_ok  boolean;
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
		-- length and alphabet apart, not '^[A-Za-z0-9._:~-]{8,100}$' (4. above)
		IF char_length(p_key) NOT BETWEEN 8 AND 100 OR p_key ~ '[^A-Za-z0-9._:~-]' THEN
			RAISE EXCEPTION 'bad idempotency key "%"', p_key
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
	END IF;
	IF c.state <> 'claimed' OR c.claimed_by <> v_me THEN
		PERFORM heed_q_holder(c, v_me, true);
	END IF;
	v_ok := heed_q_check_text(p_text, 10000, 'reply');  -- an expression, not PERFORM
	IF p_template IS NOT NULL THEN
		IF NOT EXISTS (SELECT 1 FROM templates WHERE name = p_template) THEN
			RAISE EXCEPTION 'no template "%"', p_template USING ERRCODE = 'HQ002';
		END IF;
	END IF;
	-- What the reply answers, a reply already on its way, and both steps
	-- through the state machine (as heed_q_move would take them): one
	-- query, since each statement here costs an executor start.
	SELECT g.mention_id, g.can_post, g.reason,
	       -- NOT IN, not IN ('queued', 'sending', 'unknown'): see above
	       (SELECT p.id FROM replies p
	        WHERE p.case_id = c.id AND p.kind = 'human'
	          AND p.state NOT IN ('sent', 'failed') LIMIT 1) AS pending,
	       r.to_state AS mid, s.to_state AS to_state,
	       -- the outbox's earliest reply is due; said with ORDER BY and
	       -- LIMIT, not EXISTS, so that the plan is the outbox index
	       -- whatever the statistics say: an EXISTS planned as a scan of
	       -- replies stopping at the first due row read the whole sent
	       -- history first (15 ms a reply with 16 agents in the bench)
	       coalesce((SELECT o.next_attempt_at FROM replies o
	                 WHERE o.state IN ('queued', 'sending', 'unknown')
	                 ORDER BY o.next_attempt_at LIMIT 1) <= now(), false) AS outbox_due
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
	IF NOT t.outbox_due THEN
		PERFORM pg_notify('heed_outbox', '');
	END IF;
	RETURN v_id;
END $$;

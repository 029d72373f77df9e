-- 0012_reply_key_check.sql: heed_queue_reply checks an idempotency key's
-- length and alphabet as two tests instead of one bounded repetition. The
-- rule is the same (8 to 100 characters, each a letter, digit or one of
-- . _ : ~ -), but PostgreSQL's regex engine runs '^[...]{8,100}$' by
-- expanding the count into states: 20 us a key, 84,000 instructions, 4% of
-- an agent's whole claim-reply-resolve cycle (callgrind, 200 cycles with
-- keys in a single-user backend: 1.997M instructions a cycle before, 1.916M
-- after). The negated class alone is a single-state search (0.8 us). The
-- rest of the function is as in 0009.

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
		-- length and alphabet apart, not '^[A-Za-z0-9._:~-]{8,100}$' (see above)
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

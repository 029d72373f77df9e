-- 0013_claims_are_leases.sql: taking or renewing a claim commits without
-- waiting for the disk (synchronous_commit off for that transaction only).
--
-- A claim is a lease: it ends by itself unless renewed, and nothing an agent
-- sends depends on it having survived. If the server crashes in the moment
-- after a claim commits, before the WAL reaches the disk (at most
-- wal_writer_delay, 200 ms by default, and less whenever any durable commit
-- follows, since WAL is flushed in order), the claim is lost as if its lease
-- had run out: the case is back in the queue, the claim's event is gone with
-- it, and the agent's reply is refused until they claim it again. Replies,
-- resolves, notes, tags, every change to the outbox and every other write
-- still wait for the disk. The queue study (shared/reference/postgres-
-- queues.md 4) allows synchronous_commit off exactly for statements whose
-- loss in a crash is harmless, heartbeats being its example.
--
-- Why: a claim's commit was half of the WAL flushes of an agent's cycle
-- (claim, then reply and resolve). Three paired runs at 4 agents, with
-- other work on the machine: the backends' CPU per cycle fell from 780-994
-- to 647-772 us, and WAL flushes per cycle from about 1.0 to 0.55.
--
-- set_config(..., true) is SET LOCAL: it lasts until the end of the claim's
-- transaction, and the functions' own SET search_path does not undo it
-- (a function's SET clause restores only the variables it names). The
-- bodies are otherwise those of 0009 (heed_claim_next) and 0004.

CREATE OR REPLACE FUNCTION heed_claim_next(p_lease interval DEFAULT '5 minutes',
                                OUT claimed_case bigint, OUT claimed_until timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_agent');
	v_ok boolean := heed_q_check_lease(p_lease);  -- an expression, not PERFORM
	v_async text := set_config('synchronous_commit', 'off', true);  -- a lease (above)
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
	v_async text := set_config('synchronous_commit', 'off', true);  -- a lease (above)
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
	v_async text := set_config('synchronous_commit', 'off', true);  -- a lease (above)
BEGIN
	PERFORM heed_q_check_lease(p_lease);
	c := heed_q_lock(p_case, v_me);
	PERFORM heed_q_holder(c, v_me, true);
	c := heed_q_move(c, 'renew', v_me, p_lease, NULL, NULL, NULL);
	RETURN c.lease_until;
END $$;

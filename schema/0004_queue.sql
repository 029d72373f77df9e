-- 0004_queue.sql: the case queue's operations as functions that the database
-- runs for the agent who is logged in. Each agent is their own PostgreSQL
-- login role, a member of heed_agent; every function acts as session_user,
-- checks that membership, and writes it as the actor of every case_events row
-- (no function takes an acting-agent argument). The agent's direct UPDATE on
-- cases and INSERT on replies, case_events and templates (0002) are revoked
-- and EXECUTE on these functions granted instead, so the database itself
-- refuses a claim, reply or resolve on a case another agent holds.
--
-- Also here: the state machine as a table (case_transitions), which every
-- function moves cases through; mentions.mentions_account (X only lets heed
-- answer posts that mention the brand's account: the poller fills it); one
-- human reply in flight per case; an index for the thread. (No index for
-- the listing: it reads cases_queue_idx and cases_lease_idx, since every
-- extra index on cases costs each claim, reply and resolve an insertion.)
--
-- Errors the client maps (heed/queue.h): HQ001 held by another agent, HQ002
-- no such case or template, HQ003 not allowed in the case's state, HQ004 the
-- platform does not let heed post this reply, HQ005 a duplicate; 22023 bad
-- input; 42501 not an agent.

-- mentions.mentions_account (NULL: unknown) comes with 0003_ingest.sql
ALTER TABLE templates ADD COLUMN updated_by text;
-- {{name}} placeholders only; a stray {{ or }} would post a hole
ALTER TABLE templates ADD CONSTRAINT templates_placeholders_check
	CHECK (regexp_replace(body, '\{\{\s*[a-z][a-z0-9_]*\s*\}\}', '', 'g') !~ '\{\{|\}\}')
	NOT VALID;

-- `heed show`: every post of a thread.
CREATE INDEX mentions_thread_idx ON mentions (platform, thread_key, posted_at);
-- Never two human replies on their way to one customer at once.
CREATE UNIQUE INDEX replies_one_inflight_idx ON replies (case_id)
	WHERE kind = 'human' AND state IN ('queued', 'sending', 'unknown');

-- The state machine: which operation takes a case from which state to
-- which. heed_q_move() is the only writer of cases.state besides ingest
-- (0003: a post from the customer takes 'waiting' back to 'open'); the
-- set-based moves in heed_claim_next and heed_q_expire join this table too.
-- Claim columns follow the CHECKs of 0001: set exactly in 'claimed';
-- resolved_at set exactly in 'resolved' and 'ignored'.
CREATE TABLE case_transitions (
	op         text NOT NULL,
	from_state text NOT NULL CHECK (from_state IN ('new', 'open', 'claimed', 'waiting', 'resolved', 'ignored')),
	to_state   text NOT NULL CHECK (to_state IN ('new', 'open', 'claimed', 'waiting', 'resolved', 'ignored')),
	PRIMARY KEY (op, from_state)
);
INSERT INTO case_transitions (op, from_state, to_state) VALUES
	('claim', 'new', 'claimed'), ('claim', 'open', 'claimed'),
	('claim', 'waiting', 'claimed'), ('claim', 'claimed', 'claimed'),
	('assign', 'new', 'claimed'), ('assign', 'open', 'claimed'),
	('assign', 'waiting', 'claimed'), ('assign', 'claimed', 'claimed'),
	('renew', 'claimed', 'claimed'),
	('release', 'claimed', 'open'),
	('expire', 'claimed', 'open'),
	('reply', 'claimed', 'waiting'),
	('record', 'claimed', 'waiting'),
	('snooze', 'new', 'open'), ('snooze', 'open', 'open'), ('snooze', 'claimed', 'open'),
	('resolve', 'new', 'resolved'), ('resolve', 'open', 'resolved'),
	('resolve', 'claimed', 'resolved'), ('resolve', 'waiting', 'resolved'),
	('ignore', 'new', 'ignored'), ('ignore', 'open', 'ignored'),
	('ignore', 'claimed', 'ignored'), ('ignore', 'waiting', 'ignored'),
	('reopen', 'resolved', 'open'), ('reopen', 'ignored', 'open');
GRANT SELECT ON case_transitions TO heed_agent, heed_responder, heed_manager;

-- ---- internal helpers: run inside the SECURITY DEFINER functions below
-- (whose search_path they inherit); no role may call them directly ----

-- Raise insufficient_privilege: session_user is not in p_group. Declared
-- STABLE (it changes nothing) so that heed_q_actor stays inlinable.
CREATE FUNCTION heed_q_refuse(p_group text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RAISE EXCEPTION 'role "%" is not a member of %', session_user, p_group
		USING ERRCODE = 'insufficient_privilege';
END $$;

-- The acting role: session_user, which must be a member of p_group. A
-- plain SQL expression, so that the planner inlines it into its caller.
CREATE FUNCTION heed_q_actor(p_group text) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN pg_has_role(session_user, p_group, 'MEMBER')
	            THEN session_user::text ELSE heed_q_refuse(p_group) END
$$;

CREATE FUNCTION heed_q_check_lease(p_lease interval) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	IF p_lease IS NULL OR p_lease < interval '1 second' OR p_lease > interval '12 hours' THEN
		RAISE EXCEPTION 'lease % is not between 1 second and 12 hours', p_lease
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
END $$;

-- Text an agent wrote for the public or the log: not blank, at most p_max
-- characters, no control characters (newline and tab allowed), no
-- bidirectional overrides, and, for replies, no unfilled {{placeholder}}.
CREATE FUNCTION heed_q_check_text(p_text text, p_max integer, p_what text)
RETURNS void LANGUAGE plpgsql IMMUTABLE AS $$
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
END $$;

-- Move case c by operation p_op (see case_transitions), setting the claim
-- and resolution columns the way the CHECKs of 0001 require, and log event
-- p_kind (unless NULL) by p_actor with p_detail, plus the new lease_until
-- when the case ends up claimed. p_agent and p_lease matter only then.
-- One statement. Returns the new row.
CREATE FUNCTION heed_q_move(c cases, p_op text, p_agent text, p_lease interval,
                            p_actor text, p_kind text, p_detail jsonb)
RETURNS cases LANGUAGE plpgsql AS $$
DECLARE
	r cases;
BEGIN
	WITH m AS (
		UPDATE cases x SET
			state = t.to_state,
			claimed_by = CASE WHEN t.to_state = 'claimed' THEN p_agent END,
			claimed_at = CASE WHEN t.to_state <> 'claimed' THEN NULL
			                  WHEN x.state = 'claimed' AND x.claimed_by = p_agent THEN x.claimed_at
			                  ELSE now() END,
			lease_until = CASE WHEN t.to_state = 'claimed' THEN now() + p_lease END,
			resolved_at = CASE WHEN t.to_state IN ('resolved', 'ignored') THEN now() END,
			updated_at = now()
		FROM case_transitions t
		WHERE x.id = c.id AND t.op = p_op AND t.from_state = x.state
		RETURNING x.*),
	e AS (
		INSERT INTO case_events (case_id, actor, kind, detail)
		SELECT m.id, p_actor, p_kind,
		       CASE WHEN m.lease_until IS NULL THEN coalesce(p_detail, '{}')
		            ELSE coalesce(p_detail, '{}') || jsonb_build_object('lease_until', m.lease_until) END
		FROM m WHERE p_kind IS NOT NULL)
	SELECT * INTO r FROM m;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'cannot % case %: it is %',
			CASE p_op WHEN 'reply' THEN 'reply to' WHEN 'record' THEN 'record a reply on'
			          ELSE p_op END, c.id, c.state
			USING ERRCODE = 'HQ003';
	END IF;
	RETURN r;
END $$;

CREATE FUNCTION heed_q_event(p_case bigint, p_actor text, p_kind text, p_detail jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO case_events (case_id, actor, kind, detail)
	VALUES (p_case, p_actor, p_kind, coalesce(p_detail, '{}'));
END $$;

-- Lock case p_case for the rest of the transaction. A claim whose lease ran
-- out is ended first (logged as lease_expired, by p_me), so every function
-- sees the same answer to "who holds it".
CREATE FUNCTION heed_q_lock(p_case bigint, p_me text) RETURNS cases
LANGUAGE plpgsql AS $$
DECLARE
	c cases;
BEGIN
	SELECT * INTO c FROM cases WHERE id = p_case FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no case %', p_case USING ERRCODE = 'HQ002';
	END IF;
	IF c.state = 'claimed' AND c.lease_until < now() THEN
		c := heed_q_move(c, 'expire', NULL, NULL, p_me, 'lease_expired',
			jsonb_build_object('agent', c.claimed_by, 'lease_until', c.lease_until));
		PERFORM pg_notify('heed_cases', c.brand);
	END IF;
	RETURN c;
END $$;

-- Refuse unless p_me may change case c: nobody else holds it and, when
-- p_own, p_me holds it.
CREATE FUNCTION heed_q_holder(c cases, p_me text, p_own boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF c.state = 'claimed' AND c.claimed_by <> p_me THEN
		RAISE EXCEPTION 'case % is held by % until %; take it over with --steal',
			c.id, c.claimed_by, to_char(c.lease_until, 'HH24:MI:SS')
			USING ERRCODE = 'HQ001';
	END IF;
	IF p_own AND c.state <> 'claimed' THEN
		RAISE EXCEPTION 'case % is not claimed by you (it is %)', c.id, c.state
			USING ERRCODE = 'HQ003';
	END IF;
END $$;

-- End every claim whose lease ran out: the case goes back to the queue.
-- Rows locked by someone (its holder renewing) are left for next time.
CREATE FUNCTION heed_q_expire(p_me text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	n integer;
BEGIN
	WITH x AS (
		SELECT id, claimed_by, lease_until FROM cases
		WHERE state = 'claimed' AND lease_until < now()
		ORDER BY lease_until LIMIT 1000
		FOR UPDATE SKIP LOCKED),
	u AS (
		UPDATE cases c
		SET state = t.to_state, claimed_by = NULL, claimed_at = NULL,
		    lease_until = NULL, updated_at = now()
		FROM x, case_transitions t
		WHERE c.id = x.id AND t.op = 'expire' AND t.from_state = c.state
		RETURNING c.id, x.claimed_by, x.lease_until),
	e AS (
		INSERT INTO case_events (case_id, actor, kind, detail)
		SELECT u.id, p_me, 'lease_expired',
		       jsonb_build_object('agent', u.claimed_by, 'lease_until', u.lease_until)
		FROM u ORDER BY u.id
		RETURNING 1)
	SELECT count(*) INTO n FROM e;
	IF n > 0 THEN
		PERFORM pg_notify('heed_cases', '');
	END IF;
	RETURN n;
END $$;

-- ---- read-only, for agents, the responder and managers ----

-- The post a reply to case c answers (the customer's latest in the case)
-- and whether heed may post there at all: never on Hacker News; on X only
-- to a post that mentions the brand's account.
CREATE FUNCTION heed_q_target(c cases, OUT mention_id bigint, OUT can_post boolean,
                              OUT reason text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_account boolean;
BEGIN
	SELECT m.id, m.mentions_account INTO mention_id, v_account
	FROM mentions m
	WHERE m.case_id = c.id AND m.author_id = c.author_id AND NOT m.is_own
	ORDER BY m.posted_at DESC, m.id DESC LIMIT 1;
	can_post := true;
	IF c.platform = 'hn' THEN
		can_post := false;
		reason := 'Hacker News has no API for replies: answer on the site, then heed record-reply';
	ELSIF c.platform = 'x' AND v_account IS NOT TRUE THEN
		can_post := false;
		reason := 'X lets heed answer only posts that mention the brand''s account: answer on X, then heed record-reply';
	ELSIF mention_id IS NULL THEN
		can_post := false;
		reason := 'the case has no post by the customer to answer';
	END IF;
END $$;

-- The same for callers (read-only; SECURITY DEFINER only to reach the
-- internal heed_q_target).
CREATE FUNCTION heed_case_reply_target(p_case bigint, OUT mention_id bigint,
                                       OUT platform text, OUT can_post boolean,
                                       OUT reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	c cases;
BEGIN
	SELECT * INTO c FROM cases WHERE id = p_case;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no case %', p_case USING ERRCODE = 'HQ002';
	END IF;
	platform := c.platform;
	SELECT t.mention_id, t.can_post, t.reason INTO mention_id, can_post, reason
	FROM heed_q_target(c) t;
END $$;

-- ---- the agent's operations ----

-- Claim the most urgent unclaimed case (then the earliest deadline), skipping
-- snoozed ones and rows other agents are claiming right now. Expired leases
-- are ended first, so no daemon is needed for them. NULLs when the queue is
-- empty.
CREATE FUNCTION heed_claim_next(p_lease interval DEFAULT '5 minutes',
                                OUT claimed_case bigint, OUT claimed_until timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_agent');
BEGIN
	PERFORM heed_q_check_lease(p_lease);
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

-- Claim case p_case, or renew the lease when the caller holds it already.
-- A case another agent holds is taken over only with p_steal, and the steal
-- is logged with both agents. Returns the new end of the lease.
CREATE FUNCTION heed_claim(p_case bigint, p_steal boolean DEFAULT false,
                           p_lease interval DEFAULT '5 minutes')
RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_agent');
	c    cases;
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

-- Extend the caller's own claim. Returns the new end of the lease.
CREATE FUNCTION heed_renew(p_case bigint, p_lease interval DEFAULT '5 minutes')
RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_agent');
	c    cases;
BEGIN
	PERFORM heed_q_check_lease(p_lease);
	c := heed_q_lock(p_case, v_me);
	PERFORM heed_q_holder(c, v_me, true);
	c := heed_q_move(c, 'renew', v_me, p_lease, NULL, NULL, NULL);
	RETURN c.lease_until;
END $$;

-- Give the caller's claim up: the case goes back to the queue.
CREATE FUNCTION heed_release(p_case bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_agent');
	c    cases;
BEGIN
	c := heed_q_lock(p_case, v_me);
	PERFORM heed_q_holder(c, v_me, true);
	c := heed_q_move(c, 'release', NULL, NULL, v_me, 'released', NULL);
	PERFORM pg_notify('heed_cases', c.brand);
END $$;

-- Make agent p_agent the holder of case p_case (logged with the caller as
-- actor). A case a third agent holds needs p_steal.
CREATE FUNCTION heed_assign(p_case bigint, p_agent text, p_steal boolean DEFAULT false,
                            p_lease interval DEFAULT '30 minutes')
RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me   text := heed_q_actor('heed_agent');
	v_from text;
	c      cases;
BEGIN
	PERFORM heed_q_check_lease(p_lease);
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_agent AND rolcanlogin)
	   OR NOT pg_has_role(p_agent, 'heed_agent', 'MEMBER')
	   OR EXISTS (SELECT 1 FROM agents WHERE name = p_agent AND NOT active) THEN
		RAISE EXCEPTION 'no active agent "%"', p_agent
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	c := heed_q_lock(p_case, v_me);
	IF c.state = 'claimed' THEN
		v_from := c.claimed_by;
		IF v_from NOT IN (v_me, p_agent) AND NOT p_steal THEN
			PERFORM heed_q_holder(c, v_me, false);
		END IF;
	END IF;
	c := heed_q_move(c, 'assign', p_agent, p_lease, v_me, 'assigned',
		jsonb_build_object('from', v_from, 'to', p_agent));
	RETURN c.lease_until;
END $$;

-- Queue a reply for heed respond to post: only the holder of the claim may,
-- only where the platform lets heed post (heed_case_reply_target), and only
-- when no other human reply to the case is still on its way. The case then
-- waits for the customer, unclaimed, or with p_resolve is closed as resolved
-- in the same transaction ("send and close"). p_key makes a retry
-- idempotent: a second call with the key of a queued reply returns that
-- reply, changing nothing; without one the key is generated. Returns the
-- reply's id.
CREATE FUNCTION heed_queue_reply(p_case bigint, p_text text, p_template text DEFAULT NULL,
                                 p_key text DEFAULT NULL, p_resolve boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me  text := heed_q_actor('heed_agent');
	c     cases;
	t     record;
	v_old replies;
	v_id  bigint;
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
	INSERT INTO replies (case_id, mention_id, platform, kind, text, template, agent,
	                     idempotency_key)
	VALUES (c.id, t.mention_id, c.platform, 'human', p_text, p_template, v_me,
	        coalesce(p_key, 'heed-' || replace(gen_random_uuid()::text, '-', '')))
	RETURNING id INTO v_id;
	c := heed_q_move(c, 'reply', NULL, NULL, v_me, 'reply_queued',
		jsonb_build_object('reply_id', v_id, 'template', p_template,
		                   'mention_id', t.mention_id));
	IF p_resolve THEN
		PERFORM heed_q_move(c, 'resolve', NULL, NULL, v_me, 'resolved', NULL);
	END IF;
	RETURN v_id;
END $$;

-- Record a reply the caller posted by hand outside heed (where heed cannot
-- post, or did not): it counts as the first response now. Recording the same
-- URL twice returns the first record. Only the holder of the claim may.
CREATE FUNCTION heed_record_reply(p_case bigint, p_url text, p_text text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me  text := heed_q_actor('heed_agent');
	v_key text := 'recorded-' || md5(p_case || ' ' || coalesce(p_url, ''));
	c     cases;
	t     record;
	v_id  bigint;
BEGIN
	c := heed_q_lock(p_case, v_me);
	SELECT id INTO v_id FROM replies WHERE idempotency_key = v_key;
	IF FOUND THEN
		RETURN v_id;
	END IF;
	PERFORM heed_q_holder(c, v_me, true);
	IF p_url IS NULL OR char_length(p_url) > 2048
	   OR p_url !~ '^https?://[^[:space:][:cntrl:]]+$' THEN
		RAISE EXCEPTION 'bad reply URL: it must be an http(s) link'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF p_text IS NOT NULL THEN
		PERFORM heed_q_check_text(p_text, 10000, 'reply');
	END IF;
	SELECT * INTO t FROM heed_q_target(c);
	INSERT INTO replies (case_id, mention_id, platform, kind, text, agent,
	                     idempotency_key, state, sent_at, platform_url)
	VALUES (c.id, t.mention_id, c.platform, 'recorded',
	        coalesce(p_text, 'reply posted by hand: ' || p_url), v_me, v_key,
	        'sent', now(), p_url)
	RETURNING id INTO v_id;
	UPDATE cases SET first_response_at = coalesce(first_response_at, now())
	WHERE id = c.id;
	PERFORM heed_q_move(c, 'record', NULL, NULL, v_me, 'reply_recorded',
		jsonb_build_object('reply_id', v_id, 'url', p_url));
	RETURN v_id;
END $$;

-- Close case p_case: resolved when it has a reply (queued, sent or
-- recorded), or ignored with p_no_reply_needed. Refused while another agent
-- holds it.
CREATE FUNCTION heed_resolve(p_case bigint, p_no_reply_needed boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_agent');
	c    cases;
BEGIN
	c := heed_q_lock(p_case, v_me);
	IF c.state = 'claimed' AND c.claimed_by <> v_me THEN
		PERFORM heed_q_holder(c, v_me, false);
	END IF;
	IF p_no_reply_needed THEN
		PERFORM heed_q_move(c, 'ignore', NULL, NULL, v_me, 'ignored',
			'{"no_reply_needed": true}');
		RETURN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM replies
	               WHERE case_id = c.id AND kind IN ('human', 'recorded') AND state <> 'failed') THEN
		RAISE EXCEPTION 'case % has no reply: reply first, or close it with --no-reply-needed', c.id
			USING ERRCODE = 'HQ003';
	END IF;
	PERFORM heed_q_move(c, 'resolve', NULL, NULL, v_me, 'resolved', NULL);
END $$;

-- Open a closed case again; it goes back to the queue.
CREATE FUNCTION heed_reopen(p_case bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_agent');
	c    cases;
BEGIN
	c := heed_q_lock(p_case, v_me);
	BEGIN
		c := heed_q_move(c, 'reopen', NULL, NULL, v_me, 'reopened', NULL);
	EXCEPTION WHEN unique_violation THEN
		RAISE EXCEPTION 'case %: the customer has another live case in this thread', p_case
			USING ERRCODE = 'HQ003';
	END;
	PERFORM pg_notify('heed_cases', c.brand);
END $$;

-- Hide case p_case from heed next and the default queue for p_for. The SLA
-- clock keeps running: due_at does not change. The caller's claim, if any,
-- ends. Returns when it comes back.
CREATE FUNCTION heed_snooze(p_case bigint, p_for interval) RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_agent');
	c    cases;
BEGIN
	IF p_for IS NULL OR p_for < interval '1 second' OR p_for > interval '7 days' THEN
		RAISE EXCEPTION 'snooze % is not between 1 second and 7 days', p_for
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	c := heed_q_lock(p_case, v_me);
	PERFORM heed_q_holder(c, v_me, false);
	c := heed_q_move(c, 'snooze', NULL, NULL, v_me, 'snoozed',
		jsonb_build_object('until', now() + p_for, 'due_at', c.due_at));
	UPDATE cases SET snoozed_until = now() + p_for WHERE id = c.id;
	RETURN now() + p_for;
END $$;

-- A note on case p_case, in its event log. Any agent, any state.
CREATE FUNCTION heed_note(p_case bigint, p_text text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_agent');
BEGIN
	PERFORM heed_q_check_text(p_text, 5000, 'note');
	IF NOT EXISTS (SELECT 1 FROM cases WHERE id = p_case) THEN
		RAISE EXCEPTION 'no case %', p_case USING ERRCODE = 'HQ002';
	END IF;
	PERFORM heed_q_event(p_case, v_me, 'noted', jsonb_build_object('text', p_text));
END $$;

-- Add and remove tags (lowercase words) on case p_case. Any agent, any state.
CREATE FUNCTION heed_tag(p_case bigint, p_add text[], p_remove text[] DEFAULT '{}')
RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me   text := heed_q_actor('heed_agent');
	v_bad  text;
	v_tags text[];
BEGIN
	SELECT t INTO v_bad FROM unnest(coalesce(p_add, '{}') || coalesce(p_remove, '{}')) t
	WHERE t IS NULL OR t !~ '^[a-z0-9][a-z0-9_.:-]{0,39}$' LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'bad tag "%": use lowercase letters, digits and _.:- (at most 40)', v_bad
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM heed_q_lock(p_case, v_me);
	UPDATE cases c
	SET tags = ARRAY(SELECT DISTINCT t FROM unnest(c.tags || coalesce(p_add, '{}')) t
	                 WHERE t <> ALL (coalesce(p_remove, '{}')) ORDER BY t),
	    updated_at = now()
	WHERE c.id = p_case
	RETURNING c.tags INTO v_tags;
	PERFORM heed_q_event(p_case, v_me, 'tagged',
		jsonb_build_object('added', coalesce(p_add, '{}'), 'removed', coalesce(p_remove, '{}')));
	RETURN v_tags;
END $$;

-- End every claim whose lease ran out (the cases go back to the queue);
-- heed_claim_next does this itself, a watcher may call it too. Returns how
-- many ended.
CREATE FUNCTION heed_expire_leases() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text;
BEGIN
	IF pg_has_role(session_user, 'heed_responder', 'MEMBER') THEN
		v_me := session_user;
	ELSE
		v_me := heed_q_actor('heed_agent');
	END IF;
	RETURN heed_q_expire(v_me);
END $$;

-- Templates: saved replies with {{author}} {{agent}} {{brand}} {{case}} and
-- any variable the agent passes; rendering is the client's (heed/template.h).
CREATE FUNCTION heed_template_add(p_name text, p_body text, p_topics text[] DEFAULT '{}',
                                  p_brand text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_agent');
	v_id integer;
BEGIN
	IF EXISTS (SELECT 1 FROM templates WHERE name = p_name) THEN
		RAISE EXCEPTION 'template "%" exists; change it with templates edit', p_name
			USING ERRCODE = 'HQ005';
	END IF;
	PERFORM heed_q_check_text(p_body, 5000, 'template');
	INSERT INTO templates (name, brand, topics, body, created_by, updated_by)
	VALUES (p_name, nullif(p_brand, ''), coalesce(p_topics, '{}'), p_body, v_me, v_me)
	RETURNING id INTO v_id;
	RETURN v_id;
END $$;

-- Change a template; NULL keeps a field, an empty p_brand makes it any brand's.
CREATE FUNCTION heed_template_edit(p_name text, p_body text DEFAULT NULL,
                                   p_topics text[] DEFAULT NULL, p_brand text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_agent');
BEGIN
	IF p_body IS NOT NULL THEN
		PERFORM heed_q_check_text(p_body, 5000, 'template');
	END IF;
	UPDATE templates
	SET body = coalesce(p_body, body), topics = coalesce(p_topics, topics),
	    brand = CASE WHEN p_brand IS NULL THEN brand ELSE nullif(p_brand, '') END,
	    updated_by = v_me, updated_at = now()
	WHERE name = p_name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no template "%"', p_name USING ERRCODE = 'HQ002';
	END IF;
END $$;

-- ---- rights: the functions replace the direct writes of 0002 ----

REVOKE UPDATE ON cases FROM heed_agent;
REVOKE INSERT ON case_events, replies FROM heed_agent;
REVOKE INSERT, UPDATE ON templates FROM heed_agent;
REVOKE USAGE ON SEQUENCE case_events_id_seq, replies_id_seq, templates_id_seq FROM heed_agent;

REVOKE ALL ON FUNCTION
	heed_q_refuse(text), heed_q_actor(text), heed_q_check_lease(interval),
	heed_q_check_text(text, integer, text),
	heed_q_move(cases, text, text, interval, text, text, jsonb),
	heed_q_event(bigint, text, text, jsonb), heed_q_lock(bigint, text),
	heed_q_holder(cases, text, boolean), heed_q_expire(text), heed_q_target(cases),
	heed_case_reply_target(bigint),
	heed_claim_next(interval), heed_claim(bigint, boolean, interval),
	heed_renew(bigint, interval), heed_release(bigint),
	heed_assign(bigint, text, boolean, interval),
	heed_queue_reply(bigint, text, text, text, boolean), heed_record_reply(bigint, text, text),
	heed_resolve(bigint, boolean), heed_reopen(bigint), heed_snooze(bigint, interval),
	heed_note(bigint, text), heed_tag(bigint, text[], text[]), heed_expire_leases(),
	heed_template_add(text, text, text[], text), heed_template_edit(text, text, text[], text)
FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
	heed_claim_next(interval), heed_claim(bigint, boolean, interval),
	heed_renew(bigint, interval), heed_release(bigint),
	heed_assign(bigint, text, boolean, interval),
	heed_queue_reply(bigint, text, text, text, boolean), heed_record_reply(bigint, text, text),
	heed_resolve(bigint, boolean), heed_reopen(bigint), heed_snooze(bigint, interval),
	heed_note(bigint, text), heed_tag(bigint, text[], text[]),
	heed_template_add(text, text, text[], text), heed_template_edit(text, text, text[], text)
TO heed_agent;
GRANT EXECUTE ON FUNCTION heed_expire_leases() TO heed_agent, heed_responder;
GRANT EXECUTE ON FUNCTION heed_case_reply_target(bigint) TO heed_agent, heed_responder, heed_manager;

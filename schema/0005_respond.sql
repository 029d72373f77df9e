-- 0005_respond.sql: the outbox sender's side of the queue (heed respond).
-- A reply is posted exactly once by recording the intent before the call
-- and the outcome after it, each in its own transaction:
--   heed_outbox_take   marks due replies 'sending' under a lease (so two
--                      responders never work on one reply) and says which
--                      ones a previous attempt may already have posted:
--                      those are checked on the platform before any retry;
--   heed_outbox_sent   records the platform's id and the first response
--                      (or, for an automatic acknowledgement, the first ack);
--   heed_outbox_retry  puts a reply back for later ('unknown' when the call
--                      may have reached the platform, 'queued' when not);
--   heed_outbox_failed gives up on a reply and hands its case back to the
--                      agent who wrote it, with the error.
-- Automatic acknowledgements are queued by heed_auto_ack_queue for the cases
-- heed_auto_ack_due lists. All act as session_user, a member of
-- heed_responder, like the agent functions of 0004.

-- Bluesky's record key, chosen before the first call and kept, so that a
-- retry can ask getRecord whether the first one got through.
ALTER TABLE replies ADD COLUMN platform_key text
	CHECK (platform_key IS NULL OR (char_length(platform_key) <= 512
	       AND platform_key ~ '^[A-Za-z0-9._:~-]+$'));

-- The responder's platform sessions (Bluesky, Reddit tokens), one per
-- posting account; the pollers keep theirs per source (0003 source_auth).
CREATE TABLE responder_auth (
	account    text PRIMARY KEY CHECK (account <> ''),
	state      text,
	updated_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE, DELETE ON responder_auth TO heed_responder;

-- Wake the responder when a reply is queued.
CREATE FUNCTION heed_outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('heed_outbox', '');
	RETURN NULL;
END $$;
CREATE TRIGGER replies_outbox_notify AFTER INSERT ON replies
	FOR EACH STATEMENT EXECUTE FUNCTION heed_outbox_notify();

-- A TID (atproto record key): 13 characters of base32-sortable, from the
-- microseconds of p_at shifted left by ten bits plus ten bits of p_clock.
CREATE FUNCTION heed_tid(p_at timestamptz, p_clock bigint) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	v bigint := (floor(extract(epoch FROM p_at) * 1000000)::bigint << 10)
	            | (p_clock & 1023);
	a text := '234567abcdefghijklmnopqrstuvwxyz';
	r text := '';
BEGIN
	FOR i IN 1..13 LOOP
		r := substr(a, (v & 31)::integer + 1, 1) || r;
		v := v >> 5;
	END LOOP;
	RETURN r;
END $$;

-- Take up to p_limit due replies for the caller to send, oldest due first,
-- skipping rows another responder is taking. Each becomes 'sending' with
-- next_attempt_at = now() + p_lease: nobody else takes it before then, so
-- the caller's whole attempt (HTTP timeouts included) must fit in the
-- lease. check_first is true when an earlier attempt may have reached the
-- platform (it was 'sending' or 'unknown'): the caller must look for the
-- reply there before posting again. attempt is this attempt's number.
CREATE FUNCTION heed_outbox_take(p_lease interval, p_limit integer)
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
	SELECT u.id, u.case_id, u.platform, c.brand, u.kind, u.text, u.idempotency_key,
	       u.platform_key, u.attempts, u.check_first, m.external_id, m.raw::text,
	       a.handle
	FROM u
	JOIN cases c ON c.id = u.case_id
	LEFT JOIN mentions m ON m.id = u.mention_id
	LEFT JOIN authors a ON a.id = m.author_id
	ORDER BY u.id;
	PERFORM v_me;
END $$;

-- Record that reply p_reply is on the platform as p_platform_id (and
-- p_url). A reply already recorded as sent is left as it is (a repeated
-- call changes nothing). The case gets its first response (a human reply)
-- or its first acknowledgement (auto_ack), and an event.
CREATE FUNCTION heed_outbox_sent(p_reply bigint, p_platform_id text, p_url text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_responder');
	r    replies;
BEGIN
	SELECT * INTO r FROM replies WHERE id = p_reply FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no reply %', p_reply USING ERRCODE = 'HQ002';
	END IF;
	IF r.state = 'sent' THEN
		RETURN;
	END IF;
	IF p_platform_id IS NULL AND p_url IS NULL THEN
		RAISE EXCEPTION 'reply %: a sent reply needs the platform''s id or URL', p_reply
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	UPDATE replies
	SET state = 'sent', sent_at = now(), platform_reply_id = p_platform_id,
	    platform_url = p_url, last_error = NULL
	WHERE id = p_reply;
	IF r.kind = 'auto_ack' THEN
		UPDATE cases SET first_ack_at = coalesce(first_ack_at, now()), updated_at = now()
		WHERE id = r.case_id;
	ELSE
		UPDATE cases SET first_response_at = coalesce(first_response_at, now()),
		                 updated_at = now()
		WHERE id = r.case_id;
	END IF;
	PERFORM heed_q_event(r.case_id, v_me,
		CASE r.kind WHEN 'auto_ack' THEN 'acknowledged' ELSE 'reply_sent' END,
		jsonb_build_object('reply_id', r.id, 'platform_id', p_platform_id,
		                   'url', p_url, 'attempts', r.attempts, 'agent', r.agent));
END $$;

-- Put reply p_reply back for another attempt after p_wait: 'unknown' when
-- the last call may have reached the platform (the next attempt checks
-- first), 'queued' when it certainly did not. Only a reply being sent moves.
CREATE FUNCTION heed_outbox_retry(p_reply bigint, p_error text, p_wait interval,
                                  p_maybe_posted boolean)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_responder');
BEGIN
	UPDATE replies
	SET state = CASE WHEN p_maybe_posted THEN 'unknown' ELSE 'queued' END,
	    next_attempt_at = now() + greatest(coalesce(p_wait, interval '0'), interval '0'),
	    last_error = left(p_error, 2000)
	WHERE id = p_reply AND state = 'sending';
	PERFORM v_me;
END $$;

-- Give up on reply p_reply with p_error. A human reply's case goes back to
-- the agent who wrote it, claimed for p_lease (reopened first if it was
-- closed with the reply), unless another agent holds it now or the agent is
-- no longer active; either way the event log says why.
CREATE FUNCTION heed_outbox_failed(p_reply bigint, p_error text,
                                   p_lease interval DEFAULT '30 minutes')
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me   text := heed_q_actor('heed_responder');
	r      replies;
	c      cases;
	v_back boolean := false;
BEGIN
	SELECT * INTO r FROM replies WHERE id = p_reply FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no reply %', p_reply USING ERRCODE = 'HQ002';
	END IF;
	IF r.state IN ('sent', 'failed') THEN
		RETURN;
	END IF;
	UPDATE replies SET state = 'failed', last_error = left(p_error, 2000)
	WHERE id = p_reply;
	c := heed_q_lock(r.case_id, v_me);
	IF r.kind = 'human'
	   AND pg_has_role(r.agent, 'heed_agent', 'MEMBER')
	   AND NOT EXISTS (SELECT 1 FROM agents WHERE name = r.agent AND NOT active)
	   AND NOT (c.state = 'claimed' AND c.claimed_by <> r.agent) THEN
		BEGIN
			IF c.state IN ('resolved', 'ignored') THEN
				c := heed_q_move(c, 'reopen', NULL, NULL, v_me, 'reopened',
					jsonb_build_object('reply_id', r.id, 'reason', 'reply failed'));
			END IF;
			c := heed_q_move(c, 'assign', r.agent, p_lease, v_me, 'assigned',
				jsonb_build_object('to', r.agent, 'reason', 'reply failed'));
			v_back := true;
		EXCEPTION WHEN unique_violation THEN
			v_back := false;	-- the customer has another live case
		END;
	END IF;
	PERFORM heed_q_event(r.case_id, v_me, 'reply_failed',
		jsonb_build_object('reply_id', r.id, 'kind', r.kind, 'agent', r.agent,
		                   'error', left(p_error, 2000), 'attempts', r.attempts,
		                   'back_to_agent', v_back));
	PERFORM pg_notify('heed_cases', c.brand);
END $$;

-- Cases of brand p_brand that an automatic acknowledgement is due for:
-- on one of p_platforms, opened within p_max_age, still live, never
-- acknowledged nor answered, with no reply of any kind yet, whose first
-- post is negative (when p_negative) or at one of p_levels of urgency, and
-- where heed may post (heed_q_target). Oldest first.
CREATE FUNCTION heed_auto_ack_due(p_brand text, p_platforms text[], p_levels text[],
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
	SELECT c.id, c.platform, a.handle, a.display_name, f.sentiment_label, f.urgency_level
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

-- Queue the automatic acknowledgement p_text (rendered from template
-- p_template) for case p_case: at most one per case, ever (a second call
-- returns NULL and changes nothing), never after a human reply, and only
-- where heed may post. Returns the reply's id.
CREATE FUNCTION heed_auto_ack_queue(p_case bigint, p_text text, p_template text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_me text := heed_q_actor('heed_responder');
	c    cases;
	t    record;
	v_id bigint;
BEGIN
	SELECT * INTO c FROM cases WHERE id = p_case FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no case %', p_case USING ERRCODE = 'HQ002';
	END IF;
	IF c.state NOT IN ('new', 'open', 'claimed') OR c.first_response_at IS NOT NULL
	   OR EXISTS (SELECT 1 FROM replies r WHERE r.case_id = c.id) THEN
		RETURN NULL;
	END IF;
	PERFORM heed_q_check_text(p_text, 10000, 'reply');
	SELECT * INTO t FROM heed_q_target(c);
	IF NOT t.can_post THEN
		RAISE EXCEPTION '%', t.reason USING ERRCODE = 'HQ004';
	END IF;
	INSERT INTO replies (case_id, mention_id, platform, kind, text, template, agent,
	                     idempotency_key)
	VALUES (c.id, t.mention_id, c.platform, 'auto_ack', p_text, p_template, v_me,
	        'ack-' || c.id)
	ON CONFLICT DO NOTHING
	RETURNING id INTO v_id;
	RETURN v_id;
END $$;

REVOKE ALL ON FUNCTION
	heed_outbox_notify(), heed_tid(timestamptz, bigint),
	heed_outbox_take(interval, integer), heed_outbox_sent(bigint, text, text),
	heed_outbox_retry(bigint, text, interval, boolean),
	heed_outbox_failed(bigint, text, interval),
	heed_auto_ack_due(text, text[], text[], boolean, interval, integer),
	heed_auto_ack_queue(bigint, text, text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	heed_outbox_take(interval, integer), heed_outbox_sent(bigint, text, text),
	heed_outbox_retry(bigint, text, interval, boolean),
	heed_outbox_failed(bigint, text, interval),
	heed_auto_ack_due(text, text[], text[], boolean, interval, integer),
	heed_auto_ack_queue(bigint, text, text)
TO heed_responder;

-- 0010_check_rules.sql: the rules across columns of cases and replies (0001)
-- become one CHECK per table that calls a function stating them all. The
-- rules are the same. Why: PostgreSQL re-reads (stringToNode) and prepares
-- every table CHECK on each statement that writes the table, and the six
-- of cases and three of replies, 7 KB of stored expression trees, were 15%
-- of the backend's instructions in an agent's claim-reply-resolve cycle
-- (callgrind). A CHECK that calls a function on the whole row is a tree of
-- a few dozen bytes (nine column references with their casts were 1.4 KB);
-- the function is compiled once per session and reads the fields it needs.
-- (Single-column rules became domains in 0007 for the same reason.)
--
-- For the same reason the outbox trigger of 0007 goes: it fired only for
-- replies heed queues itself (kind <> 'human'), but its WHEN clause was
-- re-read and prepared on every INSERT into replies, an agent's included.
-- The only such insert is heed_auto_ack_queue's, which now wakes the
-- responder itself, as heed_queue_reply does (0009). The responder's role
-- may insert into replies, but heed respond queues acknowledgements only
-- through that function. The trigger and the whole-row form took a cycle
-- from about 2.01M to 1.94M instructions (callgrind, 200 cycles); the
-- function body is otherwise as in 0005.
--
-- The functions are pure (IMMUTABLE is true of them) and not STRICT (a NULL
-- argument must not skip the rules). A CHECK calls its function as whoever
-- writes the row, so each is executable by the roles that write its table
-- themselves (0002): the poller writes cases, the responder replies; every
-- other write goes through the SECURITY DEFINER functions, as their owner.

-- A case's row is consistent: the deadline is not before the customer's
-- post; a claim (claimant and lease) exists exactly in state claimed and
-- its claimant and time go together; resolved_at is set exactly when the
-- case is closed (resolved or ignored); nothing is resolved or answered
-- before the case was opened.
CREATE FUNCTION heed_case_rules(r cases)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
	RETURN r.due_at >= r.customer_posted_at
		AND (r.state = 'claimed') = (r.claimed_by IS NOT NULL AND r.lease_until IS NOT NULL)
		AND (r.claimed_by IS NULL) = (r.claimed_at IS NULL)
		AND (r.state IN ('resolved', 'ignored')) = (r.resolved_at IS NOT NULL)
		AND (r.resolved_at IS NULL OR r.resolved_at >= r.opened_at)
		AND (r.first_response_at IS NULL OR r.first_response_at >= r.opened_at);
END $$;

-- A reply's row is consistent: sent exactly when sent_at is set, a sent
-- reply says where it went (the platform's id or URL), and a reply
-- recorded from outside heed was posted by a person, so it is sent.
CREATE FUNCTION heed_reply_rules(r replies)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
	RETURN (r.state = 'sent') = (r.sent_at IS NOT NULL)
		AND (r.state <> 'sent' OR r.platform_reply_id IS NOT NULL OR r.platform_url IS NOT NULL)
		AND (r.kind <> 'recorded' OR r.state = 'sent');
END $$;

ALTER TABLE cases
	DROP CONSTRAINT cases_check, DROP CONSTRAINT cases_check1, DROP CONSTRAINT cases_check2,
	DROP CONSTRAINT cases_check3, DROP CONSTRAINT cases_check4, DROP CONSTRAINT cases_check5,
	ADD CONSTRAINT cases_rules_check CHECK (heed_case_rules(cases));
ALTER TABLE replies
	DROP CONSTRAINT replies_check, DROP CONSTRAINT replies_check1, DROP CONSTRAINT replies_check2,
	ADD CONSTRAINT replies_rules_check CHECK (heed_reply_rules(replies));

REVOKE ALL ON FUNCTION heed_case_rules(cases), heed_reply_rules(replies) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION heed_case_rules(cases) TO heed_poller;
GRANT EXECUTE ON FUNCTION heed_reply_rules(replies) TO heed_responder;

CREATE OR REPLACE FUNCTION heed_auto_ack_queue(p_case bigint, p_text text, p_template text)
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
	IF v_id IS NOT NULL THEN
		PERFORM pg_notify('heed_outbox', '');  -- was the trigger's (above)
	END IF;
	RETURN v_id;
END $$;

DROP TRIGGER replies_outbox_notify ON replies;
DROP FUNCTION heed_outbox_notify();

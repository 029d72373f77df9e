-- 0011_row_rules.sql: two costs every write of a case or a reply paid,
-- for nothing new. Measured with callgrind over 200 claim-reply-resolve
-- cycles in a single-user backend: 2.02M instructions a cycle before,
-- 1.95M without the trigger (1), 1.94M with the whole-row CHECKs (2).
--
-- 1. The outbox trigger of 0007 fired only for replies heed queues itself
--    (kind <> 'human'), but its WHEN clause is stored as an expression tree
--    that PostgreSQL re-reads and prepares on every INSERT into replies,
--    and the agent's reply paid that each time. The only such insert is
--    heed_auto_ack_queue's; it now wakes the responder itself, as
--    heed_queue_reply does (0009). Nothing else inserts queued replies
--    that are not human: the responder's role may insert into replies, but
--    heed respond queues acknowledgements only through that function.
--
-- 2. The rules of 0010 are the same, stated over the whole row: CHECK
--    (heed_case_rules(cases)) instead of nine columns passed one by one.
--    The stored tree of a CHECK is re-read (stringToNode) on each statement
--    that writes the table; nine column references with their casts were
--    1.4 KB of it for cases, one whole-row reference is a few dozen bytes.
--    The functions read the fields they need.

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
		PERFORM pg_notify('heed_outbox', '');  -- was the trigger's (see above)
	END IF;
	RETURN v_id;
END $$;

DROP TRIGGER replies_outbox_notify ON replies;
DROP FUNCTION heed_outbox_notify();

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

CREATE FUNCTION heed_reply_rules(r replies)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
	RETURN (r.state = 'sent') = (r.sent_at IS NOT NULL)
		AND (r.state <> 'sent' OR r.platform_reply_id IS NOT NULL OR r.platform_url IS NOT NULL)
		AND (r.kind <> 'recorded' OR r.state = 'sent');
END $$;

ALTER TABLE cases DROP CONSTRAINT cases_rules_check,
	ADD CONSTRAINT cases_rules_check CHECK (heed_case_rules(cases));
ALTER TABLE replies DROP CONSTRAINT replies_rules_check,
	ADD CONSTRAINT replies_rules_check CHECK (heed_reply_rules(replies));
DROP FUNCTION heed_case_rules(text, text, timestamptz, timestamptz, timestamptz,
                              timestamptz, timestamptz, timestamptz, timestamptz);
DROP FUNCTION heed_reply_rules(text, text, timestamptz, text, text);

-- As in 0010: a CHECK calls its function as whoever writes the row.
REVOKE ALL ON FUNCTION heed_case_rules(cases), heed_reply_rules(replies) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION heed_case_rules(cases) TO heed_poller;
GRANT EXECUTE ON FUNCTION heed_reply_rules(replies) TO heed_responder;

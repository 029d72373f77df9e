-- 0010_check_rules.sql: the rules across columns of cases and replies (0001)
-- become one CHECK per table that calls a function stating them all. The
-- rules are the same. Why: PostgreSQL re-reads (stringToNode) and prepares
-- every table CHECK on each statement that writes the table, and the six
-- of cases and three of replies, 7 KB of stored expression trees, were 15%
-- of the backend's instructions in an agent's claim-reply-resolve cycle
-- (callgrind). A CHECK that calls a function is a small tree; the function
-- is compiled once per session. (Single-column rules became domains in
-- 0007 for the same reason.)
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
CREATE FUNCTION heed_case_rules(p_state text, p_claimed_by text, p_claimed_at timestamptz,
                                p_lease_until timestamptz, p_resolved_at timestamptz,
                                p_opened_at timestamptz, p_first_response_at timestamptz,
                                p_due_at timestamptz, p_posted_at timestamptz)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
	RETURN p_due_at >= p_posted_at
		AND (p_state = 'claimed') = (p_claimed_by IS NOT NULL AND p_lease_until IS NOT NULL)
		AND (p_claimed_by IS NULL) = (p_claimed_at IS NULL)
		AND (p_state IN ('resolved', 'ignored')) = (p_resolved_at IS NOT NULL)
		AND (p_resolved_at IS NULL OR p_resolved_at >= p_opened_at)
		AND (p_first_response_at IS NULL OR p_first_response_at >= p_opened_at);
END $$;

-- A reply's row is consistent: sent exactly when sent_at is set, a sent
-- reply says where it went (the platform's id or URL), and a reply
-- recorded from outside heed was posted by a person, so it is sent.
CREATE FUNCTION heed_reply_rules(p_state text, p_kind text, p_sent_at timestamptz,
                                 p_platform_reply_id text, p_platform_url text)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
	RETURN (p_state = 'sent') = (p_sent_at IS NOT NULL)
		AND (p_state <> 'sent' OR p_platform_reply_id IS NOT NULL OR p_platform_url IS NOT NULL)
		AND (p_kind <> 'recorded' OR p_state = 'sent');
END $$;

ALTER TABLE cases
	DROP CONSTRAINT cases_check, DROP CONSTRAINT cases_check1, DROP CONSTRAINT cases_check2,
	DROP CONSTRAINT cases_check3, DROP CONSTRAINT cases_check4, DROP CONSTRAINT cases_check5,
	ADD CONSTRAINT cases_rules_check CHECK (heed_case_rules(state, claimed_by, claimed_at,
		lease_until, resolved_at, opened_at, first_response_at, due_at, customer_posted_at));
ALTER TABLE replies
	DROP CONSTRAINT replies_check, DROP CONSTRAINT replies_check1, DROP CONSTRAINT replies_check2,
	ADD CONSTRAINT replies_rules_check CHECK (heed_reply_rules(state, kind, sent_at,
		platform_reply_id, platform_url));

REVOKE ALL ON FUNCTION heed_case_rules(text, text, timestamptz, timestamptz, timestamptz,
                                       timestamptz, timestamptz, timestamptz, timestamptz),
                       heed_reply_rules(text, text, timestamptz, text, text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION heed_case_rules(text, text, timestamptz, timestamptz, timestamptz,
                                          timestamptz, timestamptz, timestamptz, timestamptz)
TO heed_poller;
GRANT EXECUTE ON FUNCTION heed_reply_rules(text, text, timestamptz, text, text) TO heed_responder;

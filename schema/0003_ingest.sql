-- 0003_ingest.sql: what the pollers need beyond the core tables: stored
-- platform sessions (readable by pollers only, since they hold tokens), the
-- record of items a page carried that could not be used, and
-- heed_ingest_page(), which applies one fetched page in one round trip:
-- authors, mentions, cases opened or joined, events, and the cursor, all in
-- the caller's transaction, so a page is applied whole or not at all.

-- Whether a post @-mentions the brand's own account: X lets heed reply only
-- to those (queue functions read it); NULL when the platform did not say.
ALTER TABLE mentions ADD COLUMN mentions_account boolean;

CREATE TABLE source_auth (
	source_id  integer PRIMARY KEY REFERENCES sources (id),
	state      jsonb NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE ON source_auth TO heed_poller;

CREATE TABLE bad_items (
	id          bigserial PRIMARY KEY,
	source_id   integer NOT NULL REFERENCES sources (id),
	external_id text,
	reason      text NOT NULL CHECK (reason <> ''),
	seen_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bad_items_source_idx ON bad_items (source_id, seen_at);
GRANT INSERT ON bad_items TO heed_poller;
GRANT USAGE ON SEQUENCE bad_items_id_seq TO heed_poller;
GRANT SELECT ON bad_items TO heed_agent, heed_manager;

-- The lock that makes one poller own a source at a time (pg_try_advisory_lock
-- with this class and the source id). Ingest checks it is still held, since
-- a reconnect silently drops session locks.
CREATE FUNCTION heed_source_lock_class() RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT 1751475556 $$;  -- 'heed' as int4

-- p_items: JSON array of normalised, classified mentions:
--   {external_id, url, author: {id, handle, name, followers}, text, raw,
--    posted_at (ISO 8601), in_reply_to, thread_key, lang, sentiment,
--    sentiment_label, urgency, urgency_level, topics [], reasons,
--    needs_reply, needs_reply_reason, is_spam, is_own}
-- p_bad: JSON array of {id, reason}.
-- A post that needs a reply opens a case unless its author has a live case
-- in the same thread, or (p_join_window) one opened recently; any new post
-- of that customer in that thread joins the live case. The deadline is the
-- platform's post time plus p_sla.
CREATE FUNCTION heed_ingest_page(p_source integer, p_cursor jsonb,
                                 p_items jsonb, p_bad jsonb,
                                 p_sla interval, p_join_window interval,
                                 OUT inserted integer, OUT duplicates integer,
                                 OUT opened integer, OUT joined integer)
LANGUAGE plpgsql AS $$
DECLARE
	v_platform text;
	v_brand    text;
	v_new      bigint[];
	v_opened   bigint[];
	v_total    integer := jsonb_array_length(p_items);
BEGIN
	SELECT platform, brand INTO v_platform, v_brand FROM sources WHERE id = p_source;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no source %', p_source USING ERRCODE = 'no_data_found';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_locks
	               WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
	                 AND classid::bigint = heed_source_lock_class()
	                 AND objid::bigint = p_source AND objsubid = 2) THEN
		RAISE EXCEPTION 'this session does not own source %', p_source
			USING ERRCODE = 'lock_not_available';
	END IF;

	-- authors, in a stable order so concurrent pages cannot deadlock
	INSERT INTO authors AS a (platform, external_id, handle, display_name, followers)
	SELECT DISTINCT ON (i->'author'->>'id')
	       v_platform, i->'author'->>'id', coalesce(i->'author'->>'handle', i->'author'->>'id'),
	       i->'author'->>'name', nullif((i->'author'->>'followers')::bigint, -1)
	FROM jsonb_array_elements(p_items) i
	ORDER BY i->'author'->>'id'
	ON CONFLICT (platform, external_id) DO UPDATE
	SET handle = EXCLUDED.handle,
	    display_name = coalesce(EXCLUDED.display_name, a.display_name),
	    followers = coalesce(EXCLUDED.followers, a.followers),
	    last_seen_at = now();

	WITH ins AS (
		INSERT INTO mentions (platform, external_id, source_id, brand, author_id,
		                      url, text, raw, posted_at, in_reply_to, thread_key,
		                      language, sentiment, sentiment_label, urgency,
		                      urgency_level, topics, reasons, needs_reply,
		                      needs_reply_reason, is_spam, is_own, mentions_account)
		SELECT v_platform, i->>'external_id', p_source, v_brand, au.id,
		       i->>'url', i->>'text', i->'raw', (i->>'posted_at')::timestamptz,
		       i->>'in_reply_to', i->>'thread_key', i->>'lang',
		       (i->>'sentiment')::real, i->>'sentiment_label',
		       (i->>'urgency')::smallint, i->>'urgency_level',
		       coalesce(ARRAY(SELECT jsonb_array_elements_text(i->'topics')), '{}'),
		       i->'reasons', coalesce((i->>'needs_reply')::boolean, false),
		       i->>'needs_reply_reason', coalesce((i->>'is_spam')::boolean, false),
		       coalesce((i->>'is_own')::boolean, false),
		       (i->>'mentions_account')::boolean
		FROM jsonb_array_elements(p_items) i
		JOIN authors au ON au.platform = v_platform AND au.external_id = i->'author'->>'id'
		ORDER BY i->>'external_id'
		ON CONFLICT (platform, external_id) DO NOTHING
		RETURNING id)
	SELECT coalesce(array_agg(id), '{}') INTO v_new FROM ins;
	inserted := cardinality(v_new);
	duplicates := v_total - inserted;

	-- open a case per customer and thread that needs one and has no live case
	WITH o AS (
		INSERT INTO cases (brand, platform, author_id, thread_key, priority,
		                   customer_posted_at, due_at)
		SELECT v_brand, v_platform, m.author_id, m.thread_key,
		       greatest(0, least(100, max(coalesce(m.urgency, 50)))),
		       min(m.posted_at), min(m.posted_at) + p_sla
		FROM mentions m
		WHERE m.id = ANY (v_new) AND m.needs_reply
		  AND NOT EXISTS (
			SELECT 1 FROM cases c
			WHERE c.platform = v_platform AND c.author_id = m.author_id
			  AND c.state NOT IN ('resolved', 'ignored')
			  AND (c.thread_key = m.thread_key OR c.opened_at >= now() - p_join_window))
		GROUP BY m.author_id, m.thread_key
		ORDER BY m.author_id, m.thread_key
		ON CONFLICT (platform, author_id, thread_key)
			WHERE state NOT IN ('resolved', 'ignored') DO NOTHING
		RETURNING id)
	SELECT coalesce(array_agg(id), '{}') INTO v_opened FROM o;
	opened := cardinality(v_opened);

	-- attach every new post of a customer to their live case: same thread
	-- first; another thread only when it needs a reply and the case is recent
	UPDATE mentions m
	SET case_id = (
		SELECT c.id FROM cases c
		WHERE c.platform = v_platform AND c.author_id = m.author_id
		  AND c.state NOT IN ('resolved', 'ignored')
		  AND (c.thread_key = m.thread_key
		       OR (m.needs_reply AND c.opened_at >= now() - p_join_window))
		ORDER BY c.thread_key = m.thread_key DESC, c.opened_at DESC
		LIMIT 1)
	WHERE m.id = ANY (v_new) AND NOT m.is_own AND NOT m.is_spam;

	-- a case that gained posts: most urgent post sets the priority; a case
	-- waiting on the customer is open again
	UPDATE cases c
	SET priority = greatest(c.priority, x.prio),
	    state = CASE WHEN c.state = 'waiting' THEN 'open' ELSE c.state END,
	    updated_at = now()
	FROM (SELECT case_id, max(coalesce(urgency, 0)) AS prio
	      FROM mentions WHERE id = ANY (v_new) AND case_id IS NOT NULL
	      GROUP BY case_id) x
	WHERE c.id = x.case_id AND NOT (c.id = ANY (v_opened));

	-- the first post of a new case opened it; every other one joined
	INSERT INTO case_events (case_id, kind, detail)
	SELECT e.case_id,
	       CASE WHEN e.case_id = ANY (v_opened) AND e.n = 1 THEN 'opened'
	            ELSE 'mention_added' END,
	       jsonb_build_object('mention_id', e.id, 'external_id', e.external_id,
	                          'source', p_source)
	FROM (SELECT m.case_id, m.id, m.external_id, m.posted_at,
	             row_number() OVER (PARTITION BY m.case_id ORDER BY m.posted_at, m.id) AS n
	      FROM mentions m
	      WHERE m.id = ANY (v_new) AND m.case_id IS NOT NULL) e
	ORDER BY e.case_id, e.posted_at, e.id;
	SELECT count(*) INTO joined FROM mentions
	WHERE id = ANY (v_new) AND case_id IS NOT NULL AND NOT (case_id = ANY (v_opened));

	INSERT INTO bad_items (source_id, external_id, reason)
	SELECT p_source, b->>'id', left(coalesce(nullif(b->>'reason', ''), 'unusable item'), 500)
	FROM jsonb_array_elements(coalesce(p_bad, '[]')) b;

	UPDATE sources
	SET cursor = p_cursor, last_poll_at = now(), last_success_at = now(),
	    error_streak = 0, last_error = NULL
	WHERE id = p_source;

	-- one wake-up per page, not per row (queue study, pitfall 3)
	IF opened > 0 OR joined > 0 THEN
		PERFORM pg_notify('heed_cases', v_brand);
	END IF;
END $$;

REVOKE ALL ON FUNCTION heed_ingest_page(integer, jsonb, jsonb, jsonb, interval, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION heed_ingest_page(integer, jsonb, jsonb, jsonb, interval, interval) TO heed_poller;

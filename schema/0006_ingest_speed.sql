-- 0006_ingest_speed.sql: heed_ingest_page() again, same contract as in
-- 0003, with less work per page: each item is expanded once per statement
-- with jsonb_to_record instead of one ->> per field and use, and each
-- mention is written once, with its case already chosen, instead of being
-- inserted and then updated (the update wrote the row and its six index
-- entries twice and re-ran its foreign-key checks). A 7-argument form also
-- stores the rate-limit state, saving the poller a round trip per page.
-- (0005 is another change's number; migrations apply by number, gaps and all.)

-- Raw items are most of a row's bytes, and a row past 2 kB is compressed:
-- lz4 costs a fraction of pglz's time (new rows only; old ones stay as
-- they are). Servers built without lz4 keep pglz.
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_settings
	           WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
		ALTER TABLE mentions ALTER COLUMN raw SET COMPRESSION lz4;
	END IF;
END $$;

-- The page's items as rows, with the author resolved (authors are stored
-- first). An item repeated within the page counts once, first one wins.
CREATE FUNCTION heed_ingest_items(p_items jsonb, p_platform text)
RETURNS TABLE (external_id text, url text, author_id bigint, text text,
               raw jsonb, posted_at timestamptz, in_reply_to text,
               thread_key text, lang text, sentiment real,
               sentiment_label text, urgency smallint, urgency_level text,
               topics text[], reasons jsonb, needs_reply boolean,
               needs_reply_reason text, is_spam boolean, is_own boolean,
               mentions_account boolean)
LANGUAGE sql STABLE AS $$
	SELECT DISTINCT ON (i.external_id)
	       i.external_id, i.url, au.id, i.text, i.raw, i.posted_at,
	       i.in_reply_to, i.thread_key, i.lang, i.sentiment,
	       i.sentiment_label, i.urgency, i.urgency_level,
	       coalesce(i.topics, '{}'), i.reasons,
	       coalesce(i.needs_reply, false), i.needs_reply_reason,
	       coalesce(i.is_spam, false), coalesce(i.is_own, false),
	       i.mentions_account
	FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(item, ord),
	     jsonb_to_record(e.item)
	     AS i(external_id text, url text, author jsonb, text text, raw jsonb,
	          posted_at timestamptz, in_reply_to text, thread_key text,
	          lang text, sentiment real, sentiment_label text,
	          urgency smallint, urgency_level text, topics text[],
	          reasons jsonb, needs_reply boolean, needs_reply_reason text,
	          is_spam boolean, is_own boolean, mentions_account boolean)
	JOIN authors au ON au.platform = p_platform
	                AND au.external_id = i.author->>'id'
	ORDER BY i.external_id, e.ord
$$;

-- p_ratelimit (NULL: keep the stored one) is the source's rate-limit
-- state; the rest is as in 0003. Raises serialization_failure (the caller
-- retries the page) when another session stored one of the page's new
-- posts between this page's look and its insert, which would otherwise
-- leave a case opened for that post empty.
CREATE FUNCTION heed_ingest_page(p_source integer, p_cursor jsonb,
                                 p_items jsonb, p_bad jsonb,
                                 p_sla interval, p_join_window interval,
                                 p_ratelimit jsonb,
                                 OUT inserted integer, OUT duplicates integer,
                                 OUT opened integer, OUT joined integer)
LANGUAGE plpgsql AS $$
DECLARE
	v_platform text;
	v_brand    text;
	v_opened   bigint[];
	v_filled   integer;
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

	-- open a case per customer and thread whose new posts need one and who
	-- has no live case there (or, within p_join_window, anywhere)
	WITH o AS (
		INSERT INTO cases (brand, platform, author_id, thread_key, priority,
		                   customer_posted_at, due_at)
		SELECT v_brand, v_platform, i.author_id, i.thread_key,
		       greatest(0, least(100, max(coalesce(i.urgency, 50)))),
		       min(i.posted_at), min(i.posted_at) + p_sla
		FROM (SELECT DISTINCT ON (i.external_id) i.external_id, au.id AS author_id,
		             i.thread_key, i.urgency, i.posted_at
		      FROM jsonb_array_elements(p_items) e,
		           jsonb_to_record(e) AS i(external_id text, author jsonb,
		                                   thread_key text, urgency smallint,
		                                   posted_at timestamptz, needs_reply boolean)
		      JOIN authors au ON au.platform = v_platform
		                      AND au.external_id = i.author->>'id'
		      WHERE i.needs_reply
		      ORDER BY i.external_id) i
		WHERE NOT EXISTS (SELECT 1 FROM mentions m
		                  WHERE m.platform = v_platform AND m.external_id = i.external_id)
		  AND NOT EXISTS (
			SELECT 1 FROM cases c
			WHERE c.platform = v_platform AND c.author_id = i.author_id
			  AND c.state NOT IN ('resolved', 'ignored')
			  AND (c.thread_key = i.thread_key OR c.opened_at >= now() - p_join_window))
		GROUP BY i.author_id, i.thread_key
		ORDER BY i.author_id, i.thread_key
		ON CONFLICT (platform, author_id, thread_key)
			WHERE state NOT IN ('resolved', 'ignored') DO NOTHING
		RETURNING id)
	SELECT coalesce(array_agg(id), '{}') INTO v_opened FROM o;
	opened := cardinality(v_opened);

	-- each new post goes in attached to its customer's live case: same
	-- thread first; another thread only when it needs a reply and the case
	-- is recent. A case that gained posts takes the most urgent one's
	-- priority and, if it was waiting on the customer, is open again. The
	-- first post of a new case opened it; every other one joined.
	WITH ins AS (
		INSERT INTO mentions (platform, external_id, source_id, brand, author_id,
		                      url, text, raw, posted_at, in_reply_to, thread_key,
		                      language, sentiment, sentiment_label, urgency,
		                      urgency_level, topics, reasons, needs_reply,
		                      needs_reply_reason, is_spam, is_own, mentions_account,
		                      case_id)
		SELECT v_platform, i.external_id, p_source, v_brand, i.author_id,
		       i.url, i.text, i.raw, i.posted_at, i.in_reply_to, i.thread_key,
		       i.lang, i.sentiment, i.sentiment_label, i.urgency,
		       i.urgency_level, i.topics, i.reasons, i.needs_reply,
		       i.needs_reply_reason, i.is_spam, i.is_own, i.mentions_account,
		       CASE WHEN NOT i.is_own AND NOT i.is_spam THEN (
			SELECT c.id FROM cases c
			WHERE c.platform = v_platform AND c.author_id = i.author_id
			  AND c.state NOT IN ('resolved', 'ignored')
			  AND (c.thread_key = i.thread_key
			       OR (i.needs_reply AND c.opened_at >= now() - p_join_window))
			ORDER BY c.thread_key = i.thread_key DESC, c.opened_at DESC
			LIMIT 1) END
		FROM heed_ingest_items(p_items, v_platform) i
		ORDER BY i.external_id
		ON CONFLICT (platform, external_id) DO NOTHING
		RETURNING id, external_id, posted_at, urgency, case_id),
	upd AS (
		UPDATE cases c
		SET priority = greatest(c.priority, x.prio),
		    state = CASE WHEN c.state = 'waiting' THEN 'open' ELSE c.state END,
		    updated_at = now()
		FROM (SELECT case_id, max(coalesce(urgency, 0)) AS prio
		      FROM ins WHERE case_id IS NOT NULL AND NOT (case_id = ANY (v_opened))
		      GROUP BY case_id) x
		WHERE c.id = x.case_id),
	ev AS (
		INSERT INTO case_events (case_id, kind, detail)
		SELECT e.case_id,
		       CASE WHEN e.case_id = ANY (v_opened) AND e.n = 1 THEN 'opened'
		            ELSE 'mention_added' END,
		       jsonb_build_object('mention_id', e.id, 'external_id', e.external_id,
		                          'source', p_source)
		FROM (SELECT ins.case_id, ins.id, ins.external_id, ins.posted_at,
		             row_number() OVER (PARTITION BY ins.case_id
		                                ORDER BY ins.posted_at, ins.id) AS n
		      FROM ins WHERE ins.case_id IS NOT NULL) e
		ORDER BY e.case_id, e.posted_at, e.id)
	SELECT count(*),
	       count(*) FILTER (WHERE case_id IS NOT NULL AND NOT (case_id = ANY (v_opened))),
	       count(DISTINCT case_id) FILTER (WHERE case_id = ANY (v_opened))
	INTO inserted, joined, v_filled FROM ins;
	duplicates := jsonb_array_length(p_items) - inserted;
	IF v_filled < opened THEN
		RAISE EXCEPTION 'a post of source % was stored concurrently', p_source
			USING ERRCODE = 'serialization_failure';
	END IF;

	INSERT INTO bad_items (source_id, external_id, reason)
	SELECT p_source, b->>'id', left(coalesce(nullif(b->>'reason', ''), 'unusable item'), 500)
	FROM jsonb_array_elements(coalesce(p_bad, '[]')) b;

	UPDATE sources
	SET cursor = p_cursor, last_poll_at = now(), last_success_at = now(),
	    error_streak = 0, last_error = NULL,
	    ratelimit = coalesce(p_ratelimit, ratelimit)
	WHERE id = p_source;

	-- one wake-up per page, not per row (queue study, pitfall 3)
	IF opened > 0 OR joined > 0 THEN
		PERFORM pg_notify('heed_cases', v_brand);
	END IF;
END $$;

-- The 0003 form, for callers that keep the rate-limit state themselves.
CREATE OR REPLACE FUNCTION heed_ingest_page(p_source integer, p_cursor jsonb,
                                            p_items jsonb, p_bad jsonb,
                                            p_sla interval, p_join_window interval,
                                            OUT inserted integer, OUT duplicates integer,
                                            OUT opened integer, OUT joined integer)
LANGUAGE sql AS $$
	SELECT * FROM heed_ingest_page(p_source, p_cursor, p_items, p_bad, p_sla,
	                               p_join_window, NULL::jsonb)
$$;

REVOKE ALL ON FUNCTION heed_ingest_items(jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION heed_ingest_items(jsonb, text) TO heed_poller;
REVOKE ALL ON FUNCTION heed_ingest_page(integer, jsonb, jsonb, jsonb, interval, interval, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION heed_ingest_page(integer, jsonb, jsonb, jsonb, interval, interval, jsonb) TO heed_poller;

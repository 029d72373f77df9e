-- 0008_ingest_columns.sql: heed_ingest_columns(), which applies a page
-- exactly as heed_ingest_page() of 0006 does, but takes the page's items
-- as one array per column instead of one jsonb document. The server then
-- parses only the raw and reasons texts as jsonb, not the whole page
-- around them, and no longer copies every item out of it three times
-- (jsonb_array_elements, then jsonb_to_record) to read a few fields.
-- Reasons are compressed with lz4 like raw items (0006), where the server
-- has it: pglz was 1.5% of the ingest's CPU (new rows only).
-- (0007 is another change's number; migrations apply by number.)

DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_settings
	           WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
		ALTER TABLE mentions ALTER COLUMN reasons SET COMPRESSION lz4;
	END IF;
END $$;

-- The arrays are parallel: element k of each describes the page's item k
-- (p_topics[k] is a text[] literal, p_raw[k] and p_reasons[k] JSON texts,
-- where JSON null is stored as NULL, as 0006 stored it).
-- Authors are looked up one by one (a subquery per item, on their unique
-- index): as a join, the planner hashed every author of the platform for
-- each page, 5 times slower with a million of them.
-- Where the page holds the same post (or author) more than once, the first
-- one counts; 0006 took an arbitrary one, which could differ only when the
-- copies differ. Everything else is as in 0006's heed_ingest_page().
CREATE FUNCTION heed_ingest_columns(
	p_source integer, p_cursor jsonb, p_bad jsonb, p_sla interval,
	p_join_window interval, p_ratelimit jsonb,
	p_external_id text[], p_author_id text[], p_author_handle text[],
	p_author_name text[], p_author_followers bigint[], p_url text[],
	p_text text[], p_raw text[], p_posted_at timestamptz[],
	p_in_reply_to text[], p_thread_key text[], p_lang text[],
	p_sentiment real[], p_sentiment_label text[], p_urgency smallint[],
	p_urgency_level text[], p_topics text[], p_reasons text[],
	p_needs_reply boolean[], p_needs_reply_reason text[],
	p_is_spam boolean[], p_is_own boolean[], p_mentions_account boolean[],
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
	SELECT DISTINCT ON (u.id)
	       v_platform, u.id, coalesce(u.handle, u.id), u.name, nullif(u.followers, -1)
	FROM unnest(p_author_id, p_author_handle, p_author_name, p_author_followers)
	     WITH ORDINALITY AS u(id, handle, name, followers, ord)
	ORDER BY u.id, u.ord
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
		FROM (SELECT DISTINCT ON (u.external_id) u.external_id,
		             (SELECT au.id FROM authors au
		              WHERE au.platform = v_platform AND au.external_id = u.author) AS author_id,
		             u.thread_key, u.urgency, u.posted_at
		      FROM unnest(p_external_id, p_author_id, p_thread_key, p_urgency,
		                  p_posted_at, p_needs_reply)
		           WITH ORDINALITY AS u(external_id, author, thread_key, urgency,
		                                posted_at, needs_reply, ord)
		      WHERE u.needs_reply
		      ORDER BY u.external_id, u.ord) i
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

	-- as in 0006: each new post goes in attached to its customer's live
	-- case; a case that gained posts takes the most urgent one's priority
	-- and is open again if it was waiting; its first post opened it
	WITH ins AS (
		INSERT INTO mentions (platform, external_id, source_id, brand, author_id,
		                      url, text, raw, posted_at, in_reply_to, thread_key,
		                      language, sentiment, sentiment_label, urgency,
		                      urgency_level, topics, reasons, needs_reply,
		                      needs_reply_reason, is_spam, is_own, mentions_account,
		                      case_id)
		SELECT v_platform, i.external_id, p_source, v_brand, i.author_id,
		       i.url, i.text, nullif(i.raw::jsonb, 'null'), i.posted_at, i.in_reply_to, i.thread_key,
		       i.lang, i.sentiment, i.sentiment_label, i.urgency,
		       i.urgency_level, coalesce(i.topics::text[], '{}'), nullif(i.reasons::jsonb, 'null'),
		       i.needs_reply, i.needs_reply_reason, i.is_spam, i.is_own,
		       i.mentions_account,
		       CASE WHEN NOT i.is_own AND NOT i.is_spam THEN (
			SELECT c.id FROM cases c
			WHERE c.platform = v_platform AND c.author_id = i.author_id
			  AND c.state NOT IN ('resolved', 'ignored')
			  AND (c.thread_key = i.thread_key
			       OR (i.needs_reply AND c.opened_at >= now() - p_join_window))
			ORDER BY c.thread_key = i.thread_key DESC, c.opened_at DESC
			LIMIT 1) END
		FROM (SELECT DISTINCT ON (u.external_id)
		             u.external_id, u.url,
		             (SELECT au.id FROM authors au
		              WHERE au.platform = v_platform AND au.external_id = u.author) AS author_id,
		             u.text, u.raw,
		             u.posted_at, u.in_reply_to, u.thread_key, u.lang,
		             u.sentiment, u.sentiment_label, u.urgency, u.urgency_level,
		             u.topics, u.reasons,
		             coalesce(u.needs_reply, false) AS needs_reply,
		             u.needs_reply_reason,
		             coalesce(u.is_spam, false) AS is_spam,
		             coalesce(u.is_own, false) AS is_own, u.mentions_account
		      FROM unnest(p_external_id, p_url, p_author_id, p_text, p_raw,
		                  p_posted_at, p_in_reply_to, p_thread_key, p_lang,
		                  p_sentiment, p_sentiment_label, p_urgency,
		                  p_urgency_level, p_topics, p_reasons, p_needs_reply,
		                  p_needs_reply_reason, p_is_spam, p_is_own,
		                  p_mentions_account)
		           WITH ORDINALITY AS u(external_id, url, author, text, raw,
		                                posted_at, in_reply_to, thread_key, lang,
		                                sentiment, sentiment_label, urgency,
		                                urgency_level, topics, reasons, needs_reply,
		                                needs_reply_reason, is_spam, is_own,
		                                mentions_account, ord)
		      ORDER BY u.external_id, u.ord) i
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
	duplicates := cardinality(p_external_id) - inserted;
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

REVOKE ALL ON FUNCTION heed_ingest_columns(integer, jsonb, jsonb, interval, interval, jsonb,
	text[], text[], text[], text[], bigint[], text[], text[], text[], timestamptz[],
	text[], text[], text[], real[], text[], smallint[], text[], text[], text[],
	boolean[], text[], boolean[], boolean[], boolean[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION heed_ingest_columns(integer, jsonb, jsonb, interval, interval, jsonb,
	text[], text[], text[], text[], bigint[], text[], text[], text[], timestamptz[],
	text[], text[], text[], real[], text[], smallint[], text[], text[], text[],
	boolean[], text[], boolean[], boolean[], boolean[]) TO heed_poller;

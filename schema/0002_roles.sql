-- 0002_roles.sql: least privilege. Four group roles, each granted only what
-- its job needs; people and daemons log in as their own roles and are made
-- members (GRANT heed_agent TO alice). Roles are cluster-wide, so creating
-- them tolerates another database of the same cluster having done it.
--   heed_poller    writes mentions, authors, cases it opens, source state
--   heed_agent     reads the queue, works cases, queues replies
--   heed_responder sends the outbox, acknowledges, raises alerts
--   heed_manager   reads everything, changes nothing
-- Later migrations narrow these (functions, row-level security).

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['heed_poller', 'heed_agent', 'heed_responder', 'heed_manager'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			BEGIN
				EXECUTE format('CREATE ROLE %I NOLOGIN', r);
			EXCEPTION WHEN duplicate_object OR unique_violation THEN
				NULL;  -- created meanwhile by a concurrent migration
			END;
		END IF;
	END LOOP;
END $$;

-- Nothing by default; every right below is deliberate.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;

GRANT SELECT ON schema_migrations TO heed_poller, heed_agent, heed_responder, heed_manager;

-- poller
GRANT SELECT, INSERT ON sources TO heed_poller;
GRANT UPDATE (cursor, ratelimit, next_poll_at, last_poll_at, last_success_at,
              last_error, last_error_at, error_streak, ratelimit_waits,
              auth_failures, lease_owner, lease_until) ON sources TO heed_poller;
GRANT SELECT, INSERT ON authors TO heed_poller;
GRANT UPDATE (handle, display_name, followers, last_seen_at) ON authors TO heed_poller;
GRANT SELECT, INSERT ON mentions TO heed_poller;
GRANT UPDATE (case_id) ON mentions TO heed_poller;
GRANT SELECT, INSERT ON cases TO heed_poller;
GRANT UPDATE (state, priority, updated_at) ON cases TO heed_poller;
GRANT INSERT ON case_events TO heed_poller;
GRANT USAGE ON SEQUENCE sources_id_seq, authors_id_seq, mentions_id_seq,
      cases_id_seq, case_events_id_seq TO heed_poller;

-- agent
GRANT SELECT ON sources, authors, mentions, cases, case_events, replies,
      templates, agents TO heed_agent;
GRANT UPDATE (state, priority, claimed_by, claimed_at, lease_until,
              snoozed_until, first_response_at, resolved_at, tags, updated_at)
      ON cases TO heed_agent;
GRANT INSERT ON case_events, replies TO heed_agent;
GRANT INSERT, UPDATE ON templates TO heed_agent;
GRANT USAGE ON SEQUENCE case_events_id_seq, replies_id_seq, templates_id_seq TO heed_agent;

-- responder (outbox sender and SLA watcher)
GRANT SELECT ON authors, mentions, cases, templates, agents, sources TO heed_responder;
GRANT SELECT, INSERT ON replies TO heed_responder;
GRANT UPDATE (state, attempts, next_attempt_at, platform_reply_id,
              platform_url, last_error, sent_at) ON replies TO heed_responder;
GRANT UPDATE (state, first_ack_at, first_response_at, escalation_level,
              breached, updated_at) ON cases TO heed_responder;
GRANT INSERT ON case_events TO heed_responder;
GRANT SELECT, INSERT ON alerts TO heed_responder;
GRANT UPDATE (sent_at, attempts, last_error) ON alerts TO heed_responder;
GRANT USAGE ON SEQUENCE case_events_id_seq, replies_id_seq, alerts_id_seq TO heed_responder;

-- manager: reporting only
GRANT SELECT ON sources, authors, mentions, cases, case_events, replies,
      alerts, templates, agents TO heed_manager;

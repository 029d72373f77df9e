-- 0001_core.sql: heed's core tables: sources, authors, mentions, cases,
-- case_events, replies, alerts, templates, agents. CHECK and NOT NULL
-- constraints reject impossible states so that no bug in a daemon can store
-- one; the partial indexes are the ones the case queue claims through.
-- Forward-only: never edit this file once merged; add a new one.

CREATE TABLE sources (
	id              serial PRIMARY KEY,
	name            text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
	platform        text NOT NULL CHECK (platform IN ('mastodon', 'bluesky', 'reddit', 'x', 'hn')),
	brand           text NOT NULL CHECK (brand <> ''),
	cursor          jsonb NOT NULL DEFAULT '{}',
	ratelimit       jsonb NOT NULL DEFAULT '{}',
	next_poll_at    timestamptz NOT NULL DEFAULT now(),
	last_poll_at    timestamptz,
	last_success_at timestamptz,
	last_error      text,
	last_error_at   timestamptz,
	error_streak    integer NOT NULL DEFAULT 0 CHECK (error_streak >= 0),
	ratelimit_waits bigint NOT NULL DEFAULT 0 CHECK (ratelimit_waits >= 0),
	auth_failures   integer NOT NULL DEFAULT 0 CHECK (auth_failures >= 0),
	lease_owner     text,
	lease_until     timestamptz,
	created_at      timestamptz NOT NULL DEFAULT now(),
	CHECK ((lease_owner IS NULL) = (lease_until IS NULL))
);

CREATE TABLE authors (
	id            bigserial PRIMARY KEY,
	platform      text NOT NULL CHECK (platform IN ('mastodon', 'bluesky', 'reddit', 'x', 'hn')),
	external_id   text NOT NULL CHECK (external_id <> ''),
	handle        text NOT NULL,
	display_name  text,
	followers     bigint CHECK (followers >= 0),
	first_seen_at timestamptz NOT NULL DEFAULT now(),
	last_seen_at  timestamptz NOT NULL DEFAULT now(),
	UNIQUE (platform, external_id)
);

CREATE TABLE cases (
	id                 bigserial PRIMARY KEY,
	brand              text NOT NULL CHECK (brand <> ''),
	platform           text NOT NULL CHECK (platform IN ('mastodon', 'bluesky', 'reddit', 'x', 'hn')),
	author_id          bigint NOT NULL REFERENCES authors (id),
	thread_key         text NOT NULL CHECK (thread_key <> ''),
	state              text NOT NULL DEFAULT 'new'
	                   CHECK (state IN ('new', 'open', 'claimed', 'waiting', 'resolved', 'ignored')),
	priority           smallint NOT NULL DEFAULT 50 CHECK (priority BETWEEN 0 AND 100),
	customer_posted_at timestamptz NOT NULL,  -- the platform's time of the first post
	opened_at          timestamptz NOT NULL DEFAULT now(),
	due_at             timestamptz NOT NULL,
	claimed_by         text,
	claimed_at         timestamptz,
	lease_until        timestamptz,
	snoozed_until      timestamptz,
	first_ack_at       timestamptz,
	first_response_at  timestamptz,
	resolved_at        timestamptz,
	escalation_level   smallint NOT NULL DEFAULT 0 CHECK (escalation_level BETWEEN 0 AND 3),
	breached           boolean NOT NULL DEFAULT false,
	tags               text[] NOT NULL DEFAULT '{}',
	updated_at         timestamptz NOT NULL DEFAULT now(),
	CHECK (due_at >= customer_posted_at),
	-- a claim is a lease: both or neither, and only in state claimed
	CHECK ((state = 'claimed') = (claimed_by IS NOT NULL AND lease_until IS NOT NULL)),
	CHECK ((claimed_by IS NULL) = (claimed_at IS NULL)),
	-- closed exactly when resolved or ignored
	CHECK ((state IN ('resolved', 'ignored')) = (resolved_at IS NOT NULL)),
	CHECK (resolved_at IS NULL OR resolved_at >= opened_at),
	CHECK (first_response_at IS NULL OR first_response_at >= opened_at)
);

-- The queue's claim order: most urgent first, then by deadline. The key
-- order equals the claim's ORDER BY so that LockRows/Limit stops early
-- (queue study, pitfall 1).
CREATE INDEX cases_queue_idx ON cases (priority DESC, due_at)
	WHERE state IN ('new', 'open');
-- Expired claims are found by their lease.
CREATE INDEX cases_lease_idx ON cases (lease_until) WHERE state = 'claimed';
-- Escalation works on every case that is not closed, by deadline.
CREATE INDEX cases_due_idx ON cases (due_at) WHERE state NOT IN ('resolved', 'ignored');
-- One live case per customer and conversation: a follow-up joins it.
CREATE UNIQUE INDEX cases_one_live_idx ON cases (platform, author_id, thread_key)
	WHERE state NOT IN ('resolved', 'ignored');
CREATE INDEX cases_author_idx ON cases (author_id);

CREATE TABLE mentions (
	id                 bigserial PRIMARY KEY,
	platform           text NOT NULL CHECK (platform IN ('mastodon', 'bluesky', 'reddit', 'x', 'hn')),
	external_id        text NOT NULL CHECK (external_id <> ''),
	source_id          integer REFERENCES sources (id),
	brand              text NOT NULL CHECK (brand <> ''),
	author_id          bigint REFERENCES authors (id),
	url                text,
	text               text NOT NULL CHECK (octet_length(text) <= 100000),
	raw                jsonb,
	posted_at          timestamptz NOT NULL,
	ingested_at        timestamptz NOT NULL DEFAULT now(),
	in_reply_to        text,
	thread_key         text NOT NULL CHECK (thread_key <> ''),
	language           text,
	sentiment          real CHECK (sentiment BETWEEN -1 AND 1),
	sentiment_label    text CHECK (sentiment_label IN ('positive', 'neutral', 'negative')),
	urgency            smallint CHECK (urgency BETWEEN 0 AND 100),
	urgency_level      text CHECK (urgency_level IN ('low', 'normal', 'high', 'critical')),
	topics             text[] NOT NULL DEFAULT '{}',
	reasons            jsonb,
	needs_reply        boolean NOT NULL DEFAULT false,
	needs_reply_reason text,
	is_spam            boolean NOT NULL DEFAULT false,
	is_own             boolean NOT NULL DEFAULT false,
	case_id            bigint REFERENCES cases (id),
	UNIQUE (platform, external_id),
	CHECK ((sentiment IS NULL) = (sentiment_label IS NULL)),
	CHECK ((urgency IS NULL) = (urgency_level IS NULL)),
	-- the brand's own posts and spam never open a case
	CHECK (NOT (is_own AND needs_reply)),
	CHECK (NOT (is_spam AND needs_reply))
);
CREATE INDEX mentions_case_idx ON mentions (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX mentions_author_idx ON mentions (author_id, posted_at);
CREATE INDEX mentions_posted_idx ON mentions (brand, posted_at);

CREATE TABLE case_events (
	id      bigserial PRIMARY KEY,
	case_id bigint NOT NULL REFERENCES cases (id),
	at      timestamptz NOT NULL DEFAULT now(),
	actor   text NOT NULL DEFAULT current_user,
	kind    text NOT NULL CHECK (kind IN (
	        'opened', 'mention_added', 'claimed', 'released', 'assigned',
	        'stolen', 'lease_expired', 'reply_queued', 'reply_sent',
	        'reply_failed', 'reply_recorded', 'acknowledged', 'noted',
	        'tagged', 'snoozed', 'resolved', 'ignored', 'reopened',
	        'escalated', 'breached', 'priority_changed')),
	detail  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case_idx ON case_events (case_id, at);

-- The event log is append-only: the SLA figures are proven from it.
CREATE FUNCTION case_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'case_events is append-only'
		USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER case_events_no_change BEFORE UPDATE OR DELETE ON case_events
	FOR EACH ROW EXECUTE FUNCTION case_events_append_only();
CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events
	FOR EACH STATEMENT EXECUTE FUNCTION case_events_append_only();

CREATE TABLE replies (
	id                bigserial PRIMARY KEY,
	case_id           bigint NOT NULL REFERENCES cases (id),
	mention_id        bigint REFERENCES mentions (id),  -- the post answered
	platform          text NOT NULL CHECK (platform IN ('mastodon', 'bluesky', 'reddit', 'x', 'hn')),
	kind              text NOT NULL DEFAULT 'human' CHECK (kind IN ('human', 'auto_ack', 'recorded')),
	text              text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 10000),
	template          text,
	agent             text NOT NULL DEFAULT current_user,
	idempotency_key   text NOT NULL UNIQUE CHECK (idempotency_key <> ''),
	state             text NOT NULL DEFAULT 'queued'
	                  CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
	attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt_at   timestamptz NOT NULL DEFAULT now(),
	platform_reply_id text,
	platform_url      text,
	last_error        text,
	created_at        timestamptz NOT NULL DEFAULT now(),
	sent_at           timestamptz,
	CHECK ((state = 'sent') = (sent_at IS NOT NULL)),
	CHECK (state <> 'sent' OR platform_reply_id IS NOT NULL OR platform_url IS NOT NULL),
	-- a reply recorded from outside heed was posted by a person: it is sent
	CHECK (kind <> 'recorded' OR state = 'sent')
);
-- the sender's work list
CREATE INDEX replies_outbox_idx ON replies (next_attempt_at)
	WHERE state IN ('queued', 'sending', 'unknown');
CREATE INDEX replies_case_idx ON replies (case_id);
-- at most one automatic acknowledgement per case
CREATE UNIQUE INDEX replies_one_ack_idx ON replies (case_id) WHERE kind = 'auto_ack';

CREATE TABLE alerts (
	id         bigserial PRIMARY KEY,
	kind       text NOT NULL CHECK (kind IN ('sla_warn', 'sla_escalate', 'sla_breach', 'spike')),
	case_id    bigint REFERENCES cases (id),
	brand      text,
	level      smallint NOT NULL DEFAULT 0 CHECK (level BETWEEN 0 AND 3),
	channel    text NOT NULL CHECK (channel <> ''),
	dedupe_key text NOT NULL UNIQUE,  -- fires each alert exactly once
	payload    jsonb NOT NULL DEFAULT '{}',
	created_at timestamptz NOT NULL DEFAULT now(),
	sent_at    timestamptz,
	attempts   integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	last_error text,
	CHECK (case_id IS NOT NULL OR brand IS NOT NULL)
);
CREATE INDEX alerts_unsent_idx ON alerts (created_at) WHERE sent_at IS NULL;

CREATE TABLE templates (
	id         serial PRIMARY KEY,
	name       text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
	brand      text,
	topics     text[] NOT NULL DEFAULT '{}',
	body       text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 5000),
	created_by text NOT NULL DEFAULT current_user,
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- An agent is a PostgreSQL login role; this row holds what the database
-- does not (display name, whether they take cases).
CREATE TABLE agents (
	name         text PRIMARY KEY CHECK (name <> ''),
	display_name text,
	active       boolean NOT NULL DEFAULT true,
	created_at   timestamptz NOT NULL DEFAULT now()
);

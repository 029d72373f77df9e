/* queue.h: the care team's case queue, as the agent commands use it. Every
 * operation calls a function of schema/0004_queue.sql, which acts as the
 * logged-in PostgreSQL role (session_user) and enforces who may do what; this
 * module holds the only queue SQL in the tree (responder/queue.c): those
 * calls, the queue listing, and the case, thread, history and template reads.
 *
 * Errors: HEED_ECONFLICT (another agent holds the case; a reply is already
 * on its way; a duplicate template), HEED_ENOTFOUND (no such case or
 * template; empty queue for heed_queue_next), HEED_ESTATE (not allowed in the
 * case's state, or the platform does not let heed post there), HEED_EINVAL
 * (the database refused an argument), HEED_EPERM (the role is not an agent),
 * HEED_EDB and HEED_EDBCONN. err->msg is the database's own sentence, without
 * statement names; it may quote role names and case data, so sanitize it
 * before printing it to a terminal.
 *
 * Strings in the result structs are borrowed from the struct, which owns
 * them until its _release; outside text in them (mention text, handles,
 * names, URLs, template bodies) is raw and must go through heed_term_*
 * before it reaches a terminal. One struct heed_db is one connection: calls
 * on one handle are not thread-safe; distinct handles may be used from
 * distinct threads. */
#ifndef HEED_QUEUE_H
#define HEED_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heed/err.h"

struct heed_db;

/* The wake-up channel: ingest and every change that puts a case (back) into
 * the queue NOTIFY it. A hint only: listeners must also poll. */
#define HEED_QUEUE_CHANNEL "heed_cases"

/* ---- operations (each one autocommit statement, or part of the caller's
 * transaction when called inside heed_db_tx) ---- */

/* Claim the most urgent unclaimed case (then the earliest deadline) for
 * lease_ms. *case_id gets its id. HEED_ENOTFOUND when nothing is waiting. */
int heed_queue_next(struct heed_db *db, int64_t lease_ms, int64_t *case_id,
		    struct heed_err *err) HEED_MUSTCHECK;

/* Claim case_id, or renew the lease when this agent holds it. A case another
 * agent holds needs steal (logged with both agents). */
int heed_queue_claim(struct heed_db *db, int64_t case_id, bool steal,
		     int64_t lease_ms, struct heed_err *err) HEED_MUSTCHECK;

/* Extend this agent's own claim by lease_ms from now. */
int heed_queue_renew(struct heed_db *db, int64_t case_id, int64_t lease_ms,
		     struct heed_err *err) HEED_MUSTCHECK;

/* Give this agent's claim up; the case goes back to the queue. */
int heed_queue_release(struct heed_db *db, int64_t case_id,
		       struct heed_err *err) HEED_MUSTCHECK;

/* Make agent (a login role in heed_agent) hold case_id for lease_ms; a case
 * a third agent holds needs steal. */
int heed_queue_assign(struct heed_db *db, int64_t case_id, const char *agent,
		      bool steal, int64_t lease_ms, struct heed_err *err)
	HEED_MUSTCHECK;

/* Queue text (final, rendered) as the reply to case_id, which this agent
 * must hold; tmpl names the template it came from, or NULL. key makes the
 * call idempotent: a retry with the same key returns the same reply (make
 * one with heed_queue_reply_key per reply the agent means to send). The case
 * then waits for the customer, unclaimed, or with HEED_QUEUE_RESOLVE in
 * flags is resolved in the same transaction. *reply_id (may be NULL) gets
 * the outbox row's id. */
#define HEED_QUEUE_RESOLVE 0x1u
int heed_queue_reply(struct heed_db *db, int64_t case_id, const char *text,
		     const char *tmpl, const char *key, unsigned flags,
		     int64_t *reply_id, struct heed_err *err) HEED_MUSTCHECK;

/* A fresh idempotency key for heed_queue_reply: "heed-" and 32 random hex
 * digits, NUL-terminated, in out. Usable as Mastodon's Idempotency-Key. */
#define HEED_QUEUE_KEY_SIZE 40
void heed_queue_reply_key(char out[HEED_QUEUE_KEY_SIZE]);

/* Record a reply this agent posted by hand at url (text may be NULL): it is
 * the case's first response if there was none. Idempotent per URL. */
int heed_queue_record_reply(struct heed_db *db, int64_t case_id,
			    const char *url, const char *text,
			    int64_t *reply_id, struct heed_err *err)
	HEED_MUSTCHECK;

/* Close case_id: resolved (it needs a reply), or ignored when
 * no_reply_needed. Refused while another agent holds it. */
int heed_queue_resolve(struct heed_db *db, int64_t case_id,
		       bool no_reply_needed, struct heed_err *err)
	HEED_MUSTCHECK;

/* Open a closed case again. */
int heed_queue_reopen(struct heed_db *db, int64_t case_id,
		      struct heed_err *err) HEED_MUSTCHECK;

/* Hide case_id from the queue for ms; its deadline does not move. */
int heed_queue_snooze(struct heed_db *db, int64_t case_id, int64_t ms,
		      struct heed_err *err) HEED_MUSTCHECK;

/* Add a note to the case's event log. */
int heed_queue_note(struct heed_db *db, int64_t case_id, const char *text,
		    struct heed_err *err) HEED_MUSTCHECK;

/* Add the nadd tags of add and remove the nrm tags of rm. */
int heed_queue_tag(struct heed_db *db, int64_t case_id,
		   const char *const *add, size_t nadd,
		   const char *const *rm, size_t nrm, struct heed_err *err)
	HEED_MUSTCHECK;

/* End every claim whose lease ran out; *n (may be NULL) gets how many. */
int heed_queue_expire(struct heed_db *db, unsigned *n, struct heed_err *err)
	HEED_MUSTCHECK;

/* LISTEN on HEED_QUEUE_CHANNEL on the handle's current connection (again
 * after every reconnect: compare heed_db_connects). */
int heed_queue_listen(struct heed_db *db, struct heed_err *err)
	HEED_MUSTCHECK;

/* ---- the queue listing ---- */

enum heed_queue_view {
	HEED_QUEUE_OPEN,	/* new, open and claimed, not snoozed */
	HEED_QUEUE_MINE,	/* claimed by this agent */
	HEED_QUEUE_UNASSIGNED,	/* new and open, not snoozed: what next takes */
	HEED_QUEUE_ALL,		/* every live case, waiting and snoozed too */
};

struct heed_queue_filter {
	enum heed_queue_view view;
	const char *platform;	/* NULL: any */
	const char *brand;	/* NULL: any */
	size_t limit;		/* 0: no limit */
};

struct heed_queue_item {
	int64_t id;
	const char *brand, *platform, *state;
	int priority;
	int64_t secs_left;	/* until due_at by the DB clock; < 0 once late */
	const char *due_at;	/* RFC 3339, UTC */
	bool breached;		/* late, or marked breached by the watcher */
	bool snoozed;
	const char *claimed_by;	/* NULL when nobody holds it */
	const char *author;	/* the customer's handle */
	const char *sentiment;	/* label, or "" */
	const char *urgency;	/* level, or "" */
	const char *topics;	/* comma-separated, or "" */
	const char *text;	/* first line of the customer's first post */
};

struct heed_queue_list {
	struct heed_queue_item *items;
	size_t n;
	bool more;		/* rows beyond the limit exist */
	void *res;		/* private */
};

/* Live cases in claim order (most urgent, then earliest deadline), filtered.
 * Fills *out (release it with heed_queue_list_release, also on failure). */
int heed_queue_list(struct heed_db *db, const struct heed_queue_filter *f,
		    struct heed_queue_list *out, struct heed_err *err)
	HEED_MUSTCHECK;
void heed_queue_list_release(struct heed_queue_list *l);

/* ---- one case, for heed show and heed next ---- */

struct heed_case_post {
	int64_t id;
	const char *posted_at, *author, *author_name, *url, *text;
	const char *sentiment, *urgency, *topics;	/* "" when unknown */
	const char *reasons;	/* the classifier's reasons as JSON, or "" */
	const char *needs_reply_reason;	/* "" when none */
	bool by_customer;	/* posted by the case's customer */
	bool is_own;		/* posted by the brand */
	bool in_case;		/* attached to this case (not only the thread) */
};

/* An earlier case of the same customer, and how it ended. */
struct heed_case_past {
	int64_t id;
	const char *state, *opened_at, *resolved_at;	/* "" when open */
	int64_t response_secs;	/* first response after the post; -1: none */
	const char *tags, *text;
};

/* A post of the customer's that opened no case (it needed no answer),
 * outside this case's thread. */
struct heed_case_other {
	int64_t id;
	const char *posted_at, *sentiment, *text;
};

/* A template whose topics match the case's. */
struct heed_case_hint {
	const char *name, *topics, *body;
};

struct heed_case_reply {
	int64_t id;
	const char *kind, *state, *agent, *created_at, *text, *url;
	const char *last_error, *tmpl;	/* "" when none */
};

#define HEED_CASE_THREAD 0x1u	/* posts */
#define HEED_CASE_HISTORY 0x2u	/* past cases and other posts */
#define HEED_CASE_HINTS 0x4u	/* suggested templates */
#define HEED_CASE_REPLIES 0x8u	/* the case's outbox rows */
#define HEED_CASE_ALL 0xfu

struct heed_case {
	int64_t id;
	const char *brand, *platform, *state, *thread_key;
	int priority;
	const char *due_at;	/* local time of the session, for people */
	int64_t secs_left;
	bool breached;
	int escalation_level;
	const char *opened_at, *customer_posted_at;
	const char *first_response_at, *resolved_at, *snoozed_until; /* "" */
	const char *claimed_by;	/* NULL when nobody holds it */
	int64_t lease_secs_left;
	const char *tags;	/* comma-separated */
	const char *author, *author_name, *followers;	/* "" when unknown */
	int64_t author_posts;	/* every post of the customer heed stored */
	bool can_post;		/* heed may post a reply there */
	const char *cannot_post;	/* why not, or "" */
	const char *me, *me_name;	/* this agent: role, display name */

	struct heed_case_post *posts;
	size_t nposts;
	struct heed_case_past *past;
	size_t npast;
	struct heed_case_other *others;
	size_t nothers;
	struct heed_case_hint *hints;
	size_t nhints;
	struct heed_case_reply *replies;
	size_t nreplies;
	void *res[6];		/* private */
};

/* Read case id and the parts named in what (HEED_CASE_*). Fills *c (release
 * it with heed_case_release, also on failure). HEED_ENOTFOUND: no case. */
int heed_queue_case(struct heed_db *db, int64_t id, unsigned what,
		    struct heed_case *c, struct heed_err *err) HEED_MUSTCHECK;
void heed_case_release(struct heed_case *c);

struct heed_case_event {
	int64_t id;
	const char *at, *actor, *kind;
	const char *detail;	/* JSON object */
};

struct heed_case_events {
	struct heed_case_event *ev;
	size_t n;
	void *res;		/* private */
};

/* The event log of case id, oldest first. HEED_ENOTFOUND: no case. */
int heed_queue_history(struct heed_db *db, int64_t id,
		       struct heed_case_events *out, struct heed_err *err)
	HEED_MUSTCHECK;
void heed_case_events_release(struct heed_case_events *e);

/* ---- templates ---- */

struct heed_template {
	const char *name;
	const char *brand;	/* "" for every brand */
	const char *topics;	/* comma-separated */
	const char *body;
	const char *created_by, *updated_by, *updated_at;
};

struct heed_template_list {
	struct heed_template *t;
	size_t n;
	void *res;		/* private */
};

/* Every template (name NULL) or the one named. A missing name is not an
 * error here: the list is empty. */
int heed_queue_templates(struct heed_db *db, const char *name,
			 struct heed_template_list *out, struct heed_err *err)
	HEED_MUSTCHECK;
void heed_template_list_release(struct heed_template_list *l);

/* Add a template (topics comma-separated, may be ""; brand NULL: any). The
 * body is checked by the database for placeholder syntax only. */
int heed_queue_template_add(struct heed_db *db, const char *name,
			    const char *body, const char *topics,
			    const char *brand, struct heed_err *err)
	HEED_MUSTCHECK;

/* Change a template; NULL keeps a field, brand "" makes it any brand's. */
int heed_queue_template_edit(struct heed_db *db, const char *name,
			     const char *body, const char *topics,
			     const char *brand, struct heed_err *err)
	HEED_MUSTCHECK;

/* ---- pure helpers (responder/queue_fmt.c) ---- */

/* Time left as people read it: "12:05" (minutes:seconds) under an hour,
 * "1h05m" under a day, "2d03h" beyond; negative values get a '-' ("-3:10")
 * once the deadline has passed. Writes into buf (size n, at least 16) and
 * returns it. Thread-safe. */
char *heed_queue_fmt_left(int64_t secs, char *buf, size_t n);

/* How urgent a time left is: 0 plenty, 1 under 10 minutes, 2 late. */
int heed_queue_left_level(int64_t secs);

#endif

/* store.h: the collectors' SQL, all of it (collectors/store.c): a source's
 * row, its ownership lock, its stored state, page ingest and health. */
#ifndef HEED_COLLECTORS_STORE_H
#define HEED_COLLECTORS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heed/buf.h"
#include "heed/db.h"
#include "heed/source.h"

struct store_state {
	char *cursor;		/* JSON text, "{}" for a new source */
	char *ratelimit;	/* JSON text */
	char *auth;		/* JSON text or NULL */
	int64_t next_poll_ms;
	unsigned error_streak;
};

struct store_counts {
	unsigned inserted, duplicates, opened, joined;
};

/* Create the source's row if needed; *id gets its id. HEED_ECONFIG when a
 * row of that name exists for another platform or brand. */
int store_source_ensure(struct heed_db *db, const struct heed_source *src,
			int *id, struct heed_err *err) HEED_MUSTCHECK;

/* Try to own the source (session advisory lock): *owned says if we do. */
int store_source_lock(struct heed_db *db, int id, bool *owned,
		      struct heed_err *err) HEED_MUSTCHECK;
void store_source_unlock(struct heed_db *db, int id);

int store_source_load(struct heed_db *db, int id, struct store_state *st,
		      struct heed_err *err) HEED_MUSTCHECK;
void store_state_release(struct store_state *st);

/* Apply page in one transaction: mentions, cases, events, bad items, the
 * cursor, and the rate-limit state. HEED_ECONFLICT when this session no
 * longer owns the source (a reconnect dropped the lock). */
int store_ingest(struct heed_db *db, int id, const struct heed_page *page,
		 const char *ratelimit, int64_t sla_ms, int64_t join_ms,
		 struct store_counts *counts, struct heed_err *err) HEED_MUSTCHECK;

/* Columns of a page as heed_ingest_columns() takes them (schema/0008):
 * column k is len[k] bytes at data[k] (owned), in binary form when
 * binary[k], else text. See store_page_columns. */
#define STORE_NCOLS 23
struct store_cols {
	char *data[STORE_NCOLS];
	int len[STORE_NCOLS];
	bool binary[STORE_NCOLS];
};

/* A page on its way to heed_ingest_columns(), with its parameters built
 * once so that a retry sends the same. Caller-owned, and may be moved (it
 * holds no pointer into itself); fields are private. */
struct store_ingest {
	char id[16], sla[32], join[32];
	char *cursor, *bad, *ratelimit;
	struct store_cols cols;
	bool sent;
};

/* Build job from page and the rate-limit state (JSON text or NULL): no
 * I/O. The job keeps copies, so page may be released afterwards. */
void store_ingest_init(struct store_ingest *job, int id,
		       const struct heed_page *page, const char *ratelimit,
		       int64_t sla_ms, int64_t join_ms);
void store_ingest_release(struct store_ingest *job);

/* Send job to the database without waiting for it, so that the caller can
 * fetch and classify the next page meanwhile. Nothing else may use db
 * until store_ingest_finish. A failed send is retried by finish. */
void store_ingest_send(struct heed_db *db, struct store_ingest *job);

/* Apply job, or collect it when sent, with the results and errors of
 * store_ingest (a lost connection, serialization failure or deadlock is
 * retried in a transaction, as there). */
int store_ingest_finish(struct heed_db *db, struct store_ingest *job,
			struct store_counts *counts, struct heed_err *err)
	HEED_MUSTCHECK;

enum store_failure { STORE_OK_ONLY, STORE_ERROR, STORE_RATELIMITED,
		     STORE_AUTH };

/* Record a cycle's outcome: its kind (an error, a rate-limit wait, an
 * auth failure, or success without a page), the message, the rate-limit
 * state and when to poll next. */
int store_source_health(struct heed_db *db, int id, enum store_failure kind,
			const char *msg, const char *ratelimit,
			int64_t next_poll_ms, struct heed_err *err) HEED_MUSTCHECK;

/* Keep (or, with state NULL, forget) the platform session. */
int store_auth_save(struct heed_db *db, int id, const char *state,
		    struct heed_err *err) HEED_MUSTCHECK;

/* The page's items as the STORE_NCOLS parallel arrays that
 * heed_ingest_columns() takes, in its parameter order: external_id, author
 * id, handle, name, followers, url, text, raw, posted_at, in_reply_to,
 * thread_key, lang, sentiment, sentiment_label, urgency, urgency_level,
 * topics (each a text[] literal), reasons, needs_reply, needs_reply_reason,
 * is_spam, is_own, mentions_account; the text[] ones in binary form.
 * Strings are cleaned and raw and reasons texts checked as for
 * store_page_items_json, so both store the same rows. Release cols with
 * store_cols_release. (collectors/pagecols.c) */
void store_page_columns(const struct heed_page *page, struct store_cols *cols);
void store_cols_release(struct store_cols *cols);

/* The page's items (resp. its bad items) as the JSON array
 * heed_ingest_page() takes; owned by the caller. The poller sends items as
 * columns now (store_page_columns); this form stays as what 0006 takes and
 * what test_ingest_same holds the columns against. Strings that are not UTF-8
 * have U+FFFD for the bad bytes; a raw item or reasons text that fails
 * store_json_ok() goes in as null. (collectors/pagejson.c) */
char *store_page_items_json(const struct heed_page *page);
char *store_page_bad_json(const struct heed_page *page);

/* True when text is one JSON value that PostgreSQL's jsonb accepts:
 * well-formed, UTF-8, no \u0000, surrogates paired, nested at most 512
 * deep. */
bool store_json_ok(const char *text);

/* How store_put_repaired writes quotes, backslashes and control characters: as
 * they are; quotes and backslashes after a backslash (a text[] literal's
 * element); or as JSON does, control characters as \u00XX too. */
enum store_escape { STORE_ESC_NONE, STORE_ESC_ARRAY, STORE_ESC_JSON };

/* Append s (not NULL) with each byte that is not well-formed UTF-8 turned
 * into U+FFFD, escaped as how says. No quotes around it. */
void store_put_repaired(struct heed_buf *b, const char *s, enum store_escape how);

/* Length of the well-formed UTF-8 sequence at s (1 to 4), or 0: no
 * overlong forms, surrogates or code points past U+10FFFF, which
 * PostgreSQL would refuse and so fail the whole page. */
size_t store_utf8_seq(const unsigned char *s);

#endif

/* outbox.h: the responder's SQL, all of it (responder/outbox.c): take due
 * replies, record their outcome, queue automatic acknowledgements, and keep
 * the posting accounts' sessions. The rules live in schema/0005_respond.sql;
 * these are thin calls with every value as a parameter. */
#ifndef HEED_RESPONDER_OUTBOX_H
#define HEED_RESPONDER_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "heed/db.h"
#include "heed/err.h"
#include "post.h"

/* Replies taken for sending; o[i]'s strings point into res. */
struct outbox_batch {
	PGresult *res;
	struct heed_outgoing *o;
	size_t n;
};

/* Take up to limit due replies under a lease of lease_ms (see
 * heed_outbox_take). On success the batch is filled (possibly empty);
 * release it with outbox_batch_release. */
int outbox_take(struct heed_db *db, int64_t lease_ms, unsigned limit,
		struct outbox_batch *b, struct heed_err *err) HEED_MUSTCHECK;
void outbox_batch_release(struct outbox_batch *b);

int outbox_sent(struct heed_db *db, int64_t reply_id, const char *platform_id,
		const char *url, struct heed_err *err) HEED_MUSTCHECK;
int outbox_retry(struct heed_db *db, int64_t reply_id, const char *error,
		 int64_t wait_ms, bool maybe_posted, struct heed_err *err) HEED_MUSTCHECK;
int outbox_failed(struct heed_db *db, int64_t reply_id, const char *error,
		  int64_t lease_ms, struct heed_err *err) HEED_MUSTCHECK;

/* Milliseconds until the next reply is due (0: one is due now), or -1 when
 * the outbox is empty. */
int outbox_next_due_ms(struct heed_db *db, int64_t *ms, struct heed_err *err)
	HEED_MUSTCHECK;

/* End expired claims (the responder is the queue's watcher too). */
int outbox_expire_leases(struct heed_db *db, struct heed_err *err) HEED_MUSTCHECK;

/* Cases an acknowledgement is due for (heed_auto_ack_due); columns: case
 * id, platform, author handle, author name, sentiment label, urgency level.
 * platforms and levels are comma-separated lists. PQclear the result. */
PGresult *outbox_ack_due(struct heed_db *db, const char *brand, const char *platforms,
			 const char *levels, bool negative, int64_t max_age_ms,
			 unsigned limit, struct heed_err *err);

/* Queue acknowledgement text for case_id; *queued says whether it was
 * (false: the case has one, or a reply, already). */
int outbox_ack_queue(struct heed_db *db, int64_t case_id, const char *text,
		     const char *template_name, bool *queued, struct heed_err *err)
	HEED_MUSTCHECK;

/* A template's body (allocated), or NULL with err: HEED_ENOTFOUND. */
char *outbox_template(struct heed_db *db, const char *name, struct heed_err *err);

/* The stored session of a posting account (allocated JSON text, or NULL
 * when there is none: *state NULL and HEED_OK), and saving it (NULL
 * forgets it). */
int outbox_auth_load(struct heed_db *db, const char *account, char **state,
		     struct heed_err *err) HEED_MUSTCHECK;
int outbox_auth_save(struct heed_db *db, const char *account, const char *state,
		     struct heed_err *err) HEED_MUSTCHECK;

#endif

/* fake.h: internals shared by the files of the fake social server: the
 * timeline store, the request path (rate limits, faults, log) and one table
 * of routes per platform. Functions taking a struct fake_server expect the
 * caller to hold s->lock (the HTTP layer runs a thread per connection),
 * except fake_serve(), which takes it. */
#ifndef HEED_FAKE_H
#define HEED_FAKE_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "heed/buf.h"
#include "heed/err.h"

enum fake_platform {
	FAKE_MASTODON = 0,
	FAKE_BLUESKY,
	FAKE_REDDIT,
	FAKE_X,
	FAKE_HN,
	FAKE_NPLATFORMS,
	FAKE_NOPLATFORM = -1,
};

/* How rate-limit values are written (emit_rate() in core.c). */
enum fake_shape {
	FAKE_SHAPE_DEFAULT = 0,	/* the platform's own */
	FAKE_SHAPE_NONE,	/* no rate-limit headers at all */
	FAKE_SHAPE_ISO,		/* reset as ISO 8601 with 6 fractional digits */
	FAKE_SHAPE_EPOCH,	/* reset as epoch seconds */
	FAKE_SHAPE_DELTA,	/* reset as seconds until the window ends */
	FAKE_SHAPE_FLOAT,	/* remaining "599.0", reset as seconds until */
	FAKE_SHAPE_COMMA,	/* "991, 98"-style doubled values */
};

/* Rate-limit buckets: one per platform, plus Bluesky's createSession
 * limiters (30 per 5 min and 300 per day). */
enum fake_bucket_id {
	FAKE_B_MASTODON = 0,
	FAKE_B_BLUESKY,
	FAKE_B_REDDIT,
	FAKE_B_X,
	FAKE_B_HN,
	FAKE_B_BSKY_SESSION,
	FAKE_B_BSKY_SESSION_DAY,
	FAKE_NBUCKETS,
	FAKE_B_NONE = -1,
};

/* A string-keyed hash map; keys are copied, values are borrowed. */
struct fake_map {
	char **keys;
	void **vals;
	size_t n;
	size_t alloc;		/* a power of two, or 0 */
};

void fake_map_init(struct fake_map *m);
void fake_map_release(struct fake_map *m);
void *fake_map_get(const struct fake_map *m, const char *key);
void fake_map_put(struct fake_map *m, const char *key, void *val);

struct fake_author {
	int platform;
	char *id;		/* native: numeric, did:plc:..., t2_ base36 */
	char *handle;		/* acct, handle, username; NULL when deleted */
	char *name;
	long long followers;
	bool deleted;
};

struct fake_post {
	int platform;
	char *key;		/* the timeline's id, as given */
	char *native;		/* status id, at:// uri, base36 id, tweet id, objectID */
	char *rkey;		/* Bluesky record key */
	char *cid;		/* Bluesky content id */
	bool comment;		/* Reddit t1 / HN comment (else post or story) */
	int64_t num;		/* numeric id, or the base-36 value for Reddit */
	double at;		/* timeline seconds when it becomes visible */
	int64_t created_ms;	/* epoch ms the platform reports */
	int64_t edited_ms;	/* Reddit edited time, 0 when never edited */
	int64_t k1;		/* listing order: (k1, k2) ascending = oldest first */
	uint64_t k2;
	struct fake_author *author;
	char *text;
	char *title;		/* Reddit/HN stories */
	char *lang;
	char *reply_to;		/* parent: timeline id or native id */
	char *thread;		/* root: timeline id or native id */
	char *edit_of;		/* X: timeline id of the original */
	char *subreddit;
	char **channels;
	size_t nchannels;
	bool brand;		/* made through a reply endpoint */
	char *idem_key;		/* the Idempotency-Key or rkey it was made with */
	struct fake_post *orig;		/* X: the first version, or NULL */
	struct fake_post **edits;	/* X, on the first version: later ones */
	size_t nedits;
	uint64_t seq;			/* insertion order */
	char *raw;			/* Bluesky: the record as created (JSON) */
	char *json;			/* as last served (fake_post_cached) */
	uint64_t json_gen, json_tag;	/* the store and the request it was for */
};

/* Domain of the fake Mastodon instance (status uris, profile urls). */
#define FAKE_MASTODON_DOMAIN "mastodon.example"

/* Posts of one platform, sorted by (k1, k2). */
struct fake_list {
	struct fake_post **v;
	size_t n;
	size_t alloc;
};

struct fake_store {
	struct fake_list lists[FAKE_NPLATFORMS];
	struct fake_map by_key;		/* "p|timeline id" -> post */
	struct fake_map by_native;	/* "p|native id" (Reddit: fullname) */
	struct fake_map authors;	/* "p|id" -> author */
	struct fake_map handles;	/* "p|lowercased handle" -> author */
	struct fake_author **all_authors;
	size_t nauthors;
	uint64_t counter;		/* feeds generated ids */
	int64_t epoch_ms;		/* timeline second 0 */
	uint64_t gen;			/* bumped when a post or author comes or
					 * changes: served JSON is kept per gen */
};

struct fake_rate {
	unsigned budget;	/* 0 = unlimited */
	unsigned window;	/* seconds; windows are aligned to the epoch */
	int shape;
	int64_t window_start;	/* epoch seconds */
	unsigned used;
	double blackout_until;	/* announced "0 remaining" until then */
	double blackout_since;
};

/* Where rate-limit state was for one request (logged with it). */
struct fake_rate_view {
	int bucket;
	long long remaining;	/* at arrival; -1 when not limited */
	double reset;		/* epoch seconds of the window end */
	bool early;
	double announced_ago;	/* seconds since "0 remaining" was announced */
};

enum fake_fault_kind {
	FAKE_F_STATUS = 1,
	FAKE_F_SLOW,
	FAKE_F_TRUNCATE,
	FAKE_F_OVERSIZE,
	FAKE_F_GARBAGE,
	FAKE_F_BADUTF8,
	FAKE_F_DROP,
	FAKE_F_COMMIT_FAIL,
	FAKE_F_API_ERROR,
};

struct fake_fault {
	unsigned id;
	int kind;
	int platform;		/* FAKE_NOPLATFORM = any */
	char *path_prefix;	/* NULL = any */
	char *method;		/* NULL = any */
	unsigned after_n, every_n, count;
	double probability;	/* 0 = not random */
	unsigned seen, fired;
	unsigned status;
	int shape;
	unsigned retry_after;
	unsigned delay_ms, trickle_ms, trickle_bytes;
	double mb;
	bool drop;
	bool cut_connection;
	char *error;		/* api-error code, e.g. RATELIMIT */
	char *body;		/* garbage body override */
};

/* Settings a test may change at run time (POST /_fake/config). */
struct fake_config {
	char brand[64];			/* the brand account's handle */
	double bsky_access_ttl;		/* seconds */
	double bsky_refresh_ttl;
	unsigned bsky_expired_status;	/* 400 (real PDS) or 401 */
	double reddit_token_ttl;
	bool mastodon_idem_bug;		/* repeated Idempotency-Key -> 500 */
	double x_search_lag;		/* recent search hides the last N s */
	size_t log_body_cap;
};

struct fake_token {
	char *token;
	int platform;
	bool refresh;
	double expires;		/* epoch seconds */
	bool revoked;
};

struct fake_server {
	pthread_mutex_t lock;
	volatile sig_atomic_t stopping;
	struct fake_store store;
	struct fake_rate rate[FAKE_NBUCKETS];
	struct fake_fault **faults;
	size_t nfaults;
	unsigned next_fault_id;
	struct fake_config cfg;
	double start;		/* epoch seconds at startup */
	double time_scale;
	double time_offset;	/* timeline seconds added */
	uint64_t rng;
	FILE *log;
	char *log_path;
	unsigned long long nlog;
	json_t *stats;		/* {"platform": {"endpoint": {"status": n}}} */
	unsigned long long early_count;
	json_t *replies;	/* array of accepted replies */
	struct fake_map tokens;	/* token string -> struct fake_token */
	struct fake_token **all_tokens;
	size_t ntokens;
	struct fake_map idem;	/* "mastodon|key" -> post */
	unsigned long long create_sessions;
};

struct fake_kv {
	char *key;
	char *val;
};

struct fake_req {
	const char *method;
	const char *path;		/* decoded, without the query */
	struct fake_kv *args;		/* query arguments in order */
	size_t nargs;
	struct fake_kv *form;		/* urlencoded body, if any */
	size_t nform;
	json_t *json;			/* JSON body, if it parsed */
	const char *body;
	size_t body_len;
	const char *auth;		/* Authorization header or NULL */
	const char *idem_key;		/* Idempotency-Key header or NULL */
	const char *ctype;
	const char *host;
	const char *params[4];		/* :captures of the matched route */
	double now;			/* epoch seconds at arrival */
};

#define FAKE_MAX_HDRS 16

struct fake_resp {
	unsigned status;
	struct heed_buf body;
	json_t *json;		/* body not yet serialized (see fake_resp_flush) */
	const char *ctype;
	char *hdr_names[FAKE_MAX_HDRS];
	char *hdr_vals[FAKE_MAX_HDRS];
	size_t nhdrs;
	/* delivery, carried out by the HTTP layer after the lock is dropped */
	bool drop;
	unsigned delay_ms;
	unsigned trickle_ms;
	size_t trickle_bytes;
	size_t cut_at;		/* > 0: declare full length, send cut_at bytes, close */
	size_t oversize;	/* > 0: send this many bytes of padding JSON */
	bool rate_headers;	/* add the bucket's headers (default true) */
};

typedef int fake_handler_fn(struct fake_server *s, struct fake_req *rq,
			    struct fake_resp *rs);

struct fake_route {
	const char *method;
	const char *pattern;	/* "/api/v1/timelines/tag/:tag" */
	const char *endpoint;	/* name in stats and the log */
	int bucket;
	fake_handler_fn *fn;
};

/* One platform: its name and routes, as a table (fake_platforms[]). */
struct fake_platform_ops {
	const char *name;
	int bucket;
	const struct fake_route *routes;
	/* Body and content type of an error status (429, 5xx, 401, 403). */
	void (*error_body)(struct fake_server *s, struct fake_req *rq,
			   unsigned status, struct fake_resp *rs);
	/* Optional: serialize the posts whose JSON no request changes, so
	 * that serving them is a copy (see fake_server_warm). */
	void (*warm)(struct fake_server *s);
};

extern const struct fake_platform_ops fake_mastodon_ops;
extern const struct fake_platform_ops fake_bluesky_ops;
extern const struct fake_platform_ops fake_reddit_ops;
extern const struct fake_platform_ops fake_x_ops;
extern const struct fake_platform_ops fake_hn_ops;
extern const struct fake_platform_ops *const fake_platforms[FAKE_NPLATFORMS];

/* ---- core.c: server lifecycle, dispatch, rate limits, faults, log ---- */

/* Set up s with defaults (all platforms at their real budgets). The log
 * file is opened by fake_server_open_log(). Not thread-safe. */
void fake_server_init(struct fake_server *s, double now);
int fake_server_open_log(struct fake_server *s, const char *path,
			 struct heed_err *err) HEED_MUSTCHECK;
void fake_server_release(struct fake_server *s);

/* Serialize up front what each platform can (its ops' warm), as a platform
 * serves from caches: call after loading the timeline, before serving. A
 * later change to the store only makes it serialize again. */
void fake_server_warm(struct fake_server *s);

/* Answer one request: takes s->lock, fills rs. rq is borrowed. */
void fake_serve(struct fake_server *s, struct fake_req *rq,
		struct fake_resp *rs);

void fake_resp_init(struct fake_resp *rs);
void fake_resp_release(struct fake_resp *rs);
void fake_resp_header(struct fake_resp *rs, const char *name,
		      const char *fmt, ...) HEED_PRINTF(3, 4);
/* Set status and a JSON body; takes the reference to body. The body is
 * serialized by fake_resp_flush(), outside the server lock when it can be,
 * so it must not share objects that other threads change. */
void fake_resp_json(struct fake_resp *rs, unsigned status, json_t *body);
/* Serialize a pending JSON body into rs->body. */
void fake_resp_flush(struct fake_resp *rs);
void fake_resp_text(struct fake_resp *rs, unsigned status, const char *ctype,
		    const char *text);
/* Set status and a JSON body: head, then the JSON texts items[0..n) as an
 * array, then tail (head and tail may be ""). Copies everything. */
void fake_resp_items(struct fake_resp *rs, unsigned status, const char *head,
		     const char *const *items, size_t n, const char *tail);

/* A post's JSON is built and serialized once and served again while the
 * store stays the same: fake_post_cached gives the text kept for tag (what
 * else the JSON depends on: request fields, visible edits; 0 if nothing)
 * or NULL; fake_post_cache keeps o's compact text for tag, taking o, and
 * returns it. The text is owned by p and valid until p's next
 * fake_post_cache; call both under the server lock. */
const char *fake_post_cached(const struct fake_server *s,
			     const struct fake_post *p, uint64_t tag);
const char *fake_post_cache(struct fake_server *s, struct fake_post *p,
			    uint64_t tag, json_t *o);

const char *fake_arg(const struct fake_req *rq, const char *name);
/* The form field or JSON string member name; NULL if neither. */
const char *fake_field(const struct fake_req *rq, const char *name);
/* Integer argument within [lo, hi]; def when absent; -1 when malformed. */
long fake_arg_long(const struct fake_req *rq, const char *name, long def,
		   long lo, long hi);
/* The Bearer token from Authorization, or NULL. */
const char *fake_bearer(const struct fake_req *rq);

int fake_shape_parse(const char *s);
const char *fake_shape_name(int shape);
int fake_platform_parse(const char *s);
/* Set budget/window/shape of a platform's bucket (FAKE_NOPLATFORM = all).
 * Values < 0 are left alone. */
void fake_rate_set(struct fake_server *s, int platform, long budget,
		   long window, int shape, bool reset);

void fake_rate_set_bucket(struct fake_server *s, int bucket, long budget,
			  long window, int shape, bool reset);
/* "bluesky-session" or "bluesky-session-day"; FAKE_B_NONE otherwise. */
int fake_bucket_parse(const char *s);
/* State of every bucket (GET /_fake/ratelimit). */
json_t *fake_rate_json(struct fake_server *s, double now);

/* Timeline seconds now. */
double fake_timeline_now(const struct fake_server *s, double now);
/* The data clock: epoch ms of the timeline's now (what created_at of a post
 * made now says; equals real time unless --epoch or the clock was moved). */
int64_t fake_now_ms(const struct fake_server *s, double now);
/* A pseudo-random number in [0, 1) from the seeded generator. */
double fake_random(struct fake_server *s);

/* A 429 in the platform's shape (or shape, unless FAKE_SHAPE_DEFAULT) that
 * announces 0 remaining until reset (epoch seconds). bucket < 0 means the
 * platform's own. */
void fake_rate_answer_429(struct fake_server *s, struct fake_req *rq,
			  int bucket, int platform, int shape, double reset,
			  struct fake_resp *rs);

/* ---- fault.c ---- */

/* Parse a fault rule; NULL (with err) when invalid. */
struct fake_fault *fake_fault_parse(json_t *rule, struct heed_err *err);
void fake_fault_free(struct fake_fault *f);
json_t *fake_fault_json(const struct fake_fault *f);
const char *fake_fault_name(int kind);
/* Count the request against every matching rule; the first that fires is
 * returned (NULL if none). */
struct fake_fault *fake_fault_pick(struct fake_server *s, int platform,
				   const struct fake_req *rq);
/* Whether the platform handler runs (and takes effect) under fault f. */
bool fake_fault_runs_handler(const struct fake_fault *f);
/* Answer in place of the handler. */
void fake_fault_before(struct fake_server *s, struct fake_req *rq,
		       int platform, int bucket, const struct fake_fault *f,
		       struct fake_resp *rs);
/* Alter the handler's answer. */
void fake_fault_after(struct fake_server *s, struct fake_req *rq,
		      int platform, const struct fake_fault *f,
		      struct fake_resp *rs);

/* Record an accepted reply for GET /_fake/replies. */
void fake_record_reply(struct fake_server *s, const struct fake_post *reply,
		       const char *parent, const char *parent_key,
		       const char *key);

/* Bearer tokens issued by the fake (Bluesky sessions, Reddit OAuth). */
struct fake_token *fake_token_new(struct fake_server *s, int platform,
				  bool refresh, double ttl, double now);
/* NULL when unknown; check ->expires/->revoked yourself. */
struct fake_token *fake_token_find(struct fake_server *s, const char *tok);

/* ---- control.c: the /_fake/ endpoints ---- */
void fake_control(struct fake_server *s, struct fake_req *rq,
		  struct fake_resp *rs);

/* ---- store.c: the timeline ---- */
void fake_store_init(struct fake_store *st, int64_t epoch_ms);
void fake_store_release(struct fake_store *st);
/* Parse JSONL posts and add them all, or none (err says which line). at is
 * relative to tl_now for lines with "at_now":true. */
int fake_store_add_jsonl(struct fake_store *st, const char *text, size_t len,
			 double tl_now, struct heed_err *err) HEED_MUSTCHECK;
int fake_store_load_file(struct fake_store *st, const char *path,
			 struct heed_err *err) HEED_MUSTCHECK;
/* Add a post made through a reply endpoint, by the brand; the store takes
 * ownership of p (whose platform, text, reply_to, native, ... are set). */
void fake_store_add_brand(struct fake_store *st, struct fake_post *p,
			  int64_t now_ms);
struct fake_post *fake_store_find(const struct fake_store *st, int platform,
				  const char *key_or_native);
struct fake_author *fake_store_author(struct fake_store *st, int platform,
				      const char *id, const char *handle,
				      const char *name, long long followers);
struct fake_author *fake_store_author_by_handle(const struct fake_store *st,
						int platform,
						const char *handle);
/* The brand's own account on a platform (interned on first use). */
struct fake_author *fake_store_brand(struct fake_store *st, int platform,
				     const char *brand);
bool fake_post_visible(const struct fake_post *p, double tl_now);
bool fake_post_has_channel(const struct fake_post *p, const char *channel);
/* Channel "search" matches any query; "search:w" queries containing w. */
bool fake_post_matches_search(const struct fake_post *p, const char *q);
/* Index in the platform list of the first post with (k1,k2) >= given. */
size_t fake_list_lower(const struct fake_list *l, int64_t k1, uint64_t k2);
/* A position in listing order. */
struct fake_key {
	int64_t k1;
	uint64_t k2;
};

typedef bool fake_pred_fn(const struct fake_post *p, void *ctx);

/* Posts of l strictly between lo and hi (NULL = unbounded) for which pred
 * holds, at most limit, newest first into out. With from_low the ones just
 * above lo, else the ones just below hi. *more tells whether another match
 * lies beyond the page (away from the starting bound). */
size_t fake_page(const struct fake_list *l, const struct fake_key *lo,
		 const struct fake_key *hi, bool from_low, size_t limit,
		 fake_pred_fn *pred, void *ctx, struct fake_post **out,
		 bool *more);
/* Index of p in its list, or l->n. */
size_t fake_list_index(const struct fake_list *l, const struct fake_post *p);
/* The dedupe key the reference names (uri, fullname, first edit id...);
 * owned by the caller. */
char *fake_post_dedupe_key(const struct fake_store *st,
			   const struct fake_post *p);
/* Generated ids. */
char *fake_new_id(struct fake_store *st, int platform, bool comment,
		  int64_t created_ms, int64_t *num);
char *fake_new_tid(struct fake_store *st, int64_t created_ms);
char *fake_new_cid(const char *seed1, const char *seed2);

/* ---- text.c: encodings and formats ---- */
/* Opaque paging cursors that carry a listing position. */
char *fake_cursor_encode(const char *tag, const struct fake_key *k);
bool fake_cursor_decode(const char *tag, const char *cursor,
			struct fake_key *k);
uint64_t fake_hash(const char *s, size_t len);
void fake_iso_ms(char *out, size_t n, int64_t ms);	/* ...T..:..:..sssZ */
void fake_iso_s(char *out, size_t n, int64_t ms);	/* ...T..:..:..Z */
void fake_iso_us(char *out, size_t n, double t);	/* 6 fractional digits */
/* Parse ISO 8601 date or datetime (optional fraction, Z or offset) to epoch
 * ms; -1 when malformed. */
int64_t fake_parse_iso(const char *s);
char *fake_base36(uint64_t v);
bool fake_parse_base36(const char *s, int64_t *out);
bool fake_parse_u63(const char *s, int64_t *out);
char *fake_base64url(const void *p, size_t len);
bool fake_utf8_valid(const char *s, size_t len);
/* Copy with invalid UTF-8 bytes replaced by '?'. */
char *fake_utf8_sanitize(const char *s, size_t len);
size_t fake_codepoints(const char *s);
size_t fake_graphemes(const char *s);
/* Entities: & < > only (Reddit without raw_json). */
char *fake_escape_amp_lt_gt(const char *s);
/* HTML escaping; apos is the apostrophe entity ("&#39;" or "&#x27;"). */
void fake_html_escape(struct heed_buf *b, const char *s, size_t len,
		      const char *apos);
char *fake_url_encode(const char *s);
/* Plain text to Mastodon's sanitized status HTML. */
char *fake_mastodon_html(const char *text, const char *host);
/* Plain text to HN comment HTML. */
char *fake_hn_html(const char *text);
bool fake_strcaseprefix(const char *s, const char *prefix);
bool fake_strcasestr(const char *hay, const char *needle);
/* Append a string that can never hit a cap (cap-less buffers only). */
void fake_buf_adds(struct heed_buf *b, const char *s);
void fake_buf_add(struct heed_buf *b, const char *s, size_t len);
void fake_buf_addf(struct heed_buf *b, const char *fmt, ...) HEED_PRINTF(2, 3);

/* Spans of mentions, hashtags and links in plain text (byte offsets). */
enum fake_span_kind { FAKE_SPAN_MENTION, FAKE_SPAN_TAG, FAKE_SPAN_LINK };
struct fake_span {
	int kind;
	size_t start, end;	/* bytes, end exclusive; includes @ or # */
};
size_t fake_spans(const char *text, struct fake_span *out, size_t max);

#endif

/* fakeserver.h: run the fake social server (tests/fakes/fakesocial) from an
 * integration test and talk HTTP to it. A test starts one server on a
 * scripted timeline, points heed (or libcurl) at fakesrv.base, scripts faults
 * and budgets through the /_fake/ control endpoints, and reads the request
 * log back. Loopback only; nothing here reaches the internet. */
#ifndef HEED_TEST_FAKESERVER_H
#define HEED_TEST_FAKESERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <curl/curl.h>
#include <jansson.h>

#include "heed/buf.h"
#include "heed/err.h"

struct fakesrv {
	pid_t pid;
	char dir[64];		/* private temporary directory */
	char portfile[128];
	char log[128];		/* the server's JSONL request log */
	char base[64];		/* "http://127.0.0.1:PORT" */
	int port;
};

/* Path of the fakesocial binary: $HEED_BUILD/tests/fakes/fakesocial, or
 * build/tests/fakes/fakesocial. Borrowed, static storage. */
const char *fakesrv_binary(void);

/* Start the server with timeline (JSONL text, or NULL for none) and extra
 * command-line args (NULL-terminated, may be NULL), and wait for its port
 * file by polling (at most 20 s). Returns 0 when it is serving; the exit
 * status if it exited first (e.g. 2 for bad flags); -1 on a local error.
 * Call fakesrv_stop() in every case. Not thread-safe. */
int fakesrv_start(struct fakesrv *f, const char *timeline,
		  const char *const *args);

/* SIGTERM, reap, and remove the directory. Returns the exit status (0 for a
 * clean shutdown; 128+N if killed by signal N). Safe after a failed start. */
int fakesrv_stop(struct fakesrv *f);

/* One HTTP exchange. */
struct fakesrv_resp {
	CURLcode rc;
	long status;		/* 0 when no response arrived */
	struct heed_buf body;
	struct heed_buf head;	/* raw header block */
	json_t *json;		/* body parsed as JSON, or NULL */
};

/* Send method to url (absolute) with NULL-terminated "Name: value" headers
 * (may be NULL) and an optional body; timeout_ms 0 means 10 s. r is filled
 * even on failure; release it with fakesrv_resp_release(). */
void fakesrv_http(struct fakesrv_resp *r, const char *method, const char *url,
		  const char *const *hdrs, const char *body, long timeout_ms);
void fakesrv_resp_release(struct fakesrv_resp *r);

/* Value of a response header (case-insensitive name) copied into out; ""
 * when absent. Returns out. */
const char *fakesrv_header(const struct fakesrv_resp *r, const char *name,
			   char *out, size_t n);

/* GET f->base + path (printf-style; an absolute "http..." URL is used as
 * is) with an optional Authorization header value such as "Bearer x". */
void fakesrv_get(const struct fakesrv *f, struct fakesrv_resp *r,
		 const char *auth, const char *fmt, ...) HEED_PRINTF(4, 5);

/* POST body to f->base + path with NULL-terminated headers. */
void fakesrv_post(const struct fakesrv *f, struct fakesrv_resp *r,
		  const char *path, const char *const *hdrs, const char *body);

/* The platform-native id (status id, at:// uri, base-36 id, tweet id,
 * objectID) the server gave timeline post id; NULL if unknown. The caller
 * frees it. */
char *fakesrv_native_id(const struct fakesrv *f, const char *platform,
			const char *id);

/* Log in to the fake: a Bluesky access JWT (createSession) or a Reddit
 * OAuth token (password grant), copied into out. Returns 0 or -1. */
int fakesrv_bluesky_login(const struct fakesrv *f, char *out, size_t n);
int fakesrv_reddit_login(const struct fakesrv *f, char *out, size_t n);

/* POST a JSON body to a control endpoint (path like "/_fake/faults");
 * returns the HTTP status. */
long fakesrv_control(const struct fakesrv *f, const char *path,
		     const char *json);

/* Request-log lines so far (the index the next line will have). */
long fakesrv_log_mark(const struct fakesrv *f);

/* Request-log lines from index mark on, as a new JSON array (NULL if the
 * log cannot be read). */
json_t *fakesrv_log_since(const struct fakesrv *f, long mark);

#endif

/* http.h: the one HTTP client, a thin layer over libcurl's easy API used by
 * the platform pollers, the reply sender and the alert webhooks. It adds
 * what every caller needs: capped bodies and headers, headers captured for
 * rate-limit accounting, errors mapped onto heed/err.h codes, and messages
 * that never carry a token.
 *
 * One handle keeps one connection alive between requests. A handle is not
 * thread-safe: use one per thread. */
#ifndef HEED_HTTP_H
#define HEED_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heed/buf.h"
#include "heed/err.h"

#define HEED_HTTP_CONNECT_TIMEOUT_MS 10000	/* defaults for 0 below */
#define HEED_HTTP_TIMEOUT_MS 30000
#define HEED_HTTP_MAX_BODY (8u << 20)
#define HEED_HTTP_MAX_HEADER_LINE 8192		/* bytes, CRLF included */
#define HEED_HTTP_MAX_HEADERS 200		/* per response */

/* Set up and tear down libcurl's global state. Call each once from main()
 * (or a test's setup) before any thread starts; not thread-safe.
 * heed_http_global_init() returns HEED_OK or HEED_EIO. */
int heed_http_global_init(void) HEED_MUSTCHECK;
void heed_http_global_cleanup(void);

/* Handle options, filled by the caller. Zero means the default. */
struct heed_http_opts {
	int64_t connect_timeout_ms;	/* TCP + TLS handshake */
	int64_t timeout_ms;		/* whole exchange */
	size_t max_body;		/* decoded body bytes */
	const char *user_agent;		/* copied; default heed/VERSION */
	unsigned max_redirects;		/* 0 (default): never follow */
};

struct heed_http;

/* A handle for requests; opts may be NULL for all defaults. Only http://
 * and https:// are ever fetched (also on redirects); gzip and deflate
 * bodies are accepted and decoded; TLS peers are verified. Returns NULL
 * with err set (HEED_EINVAL for a bad option, HEED_EIO if libcurl cannot
 * be set up). */
struct heed_http *heed_http_new(const struct heed_http_opts *opts,
				struct heed_err *err);

/* Close the connection and free h. NULL is a no-op. */
void heed_http_free(struct heed_http *h);

enum heed_http_method {
	HEED_HTTP_GET,
	HEED_HTTP_POST,
	HEED_HTTP_PUT,
	HEED_HTTP_DELETE,
};

struct heed_http_req {
	enum heed_http_method method;
	const char *url;		/* absolute http:// or https:// URL */
	/* NULL-terminated "Name: value" lines, or NULL. A line holding CR or
	 * LF is refused. "Name:" removes a header libcurl would add. */
	const char *const *headers;
	const char *body;		/* body_len bytes; POST, PUT, DELETE */
	size_t body_len;
	int64_t connect_timeout_ms;	/* 0: the handle's */
	int64_t timeout_ms;		/* 0: the handle's */
	/* The path is itself a credential (chat webhook URLs): messages
	 * show "/..." instead of it. */
	bool secret_path;
};

/* One response header: name lowercased, value with surrounding blanks
 * removed. Read-only. */
struct heed_http_header {
	char *name;
	char *value;
};

/* A response, on the caller's stack. status, total_ms and body (through the
 * heed_buf API: heed_buf_str, heed_buf_len, heed_buf_detach) may be read
 * directly; headers only through the functions below. */
struct heed_http_resp {
	long status;			/* 0 when no response arrived */
	struct heed_buf body;
	int64_t total_ms;		/* whole exchange, also on failure */
	struct heed_http_header *headers;
	size_t nheaders;
};

/* Start empty. No allocation. */
void heed_http_resp_init(struct heed_http_resp *resp);

/* Free body and headers; resp is back to its initialised state. */
void heed_http_resp_release(struct heed_http_resp *resp);

/* The value of the last header called name (any case), or NULL. Repeated
 * headers are all kept: see heed_http_resp_header_at. Borrowed from resp. */
const char *heed_http_resp_header(const struct heed_http_resp *resp,
				  const char *name);

/* Number of headers, and header i (0-based, in arrival order; NULL past
 * the end). Borrowed from resp. */
size_t heed_http_resp_header_count(const struct heed_http_resp *resp);
const struct heed_http_header *
heed_http_resp_header_at(const struct heed_http_resp *resp, size_t i);

/* Send req and wait for the whole response. resp is emptied first, then
 * filled as far as the exchange got.
 *
 * Returns HEED_OK when a complete HTTP response arrived, whatever its
 * status (pass resp->status to heed_http_status_code). Otherwise err says
 * what happened and which request ("GET 'https://host/path?...': timed
 * out after 30000 ms"; never the query string, user info or any header
 * value) and the result is:
 *   HEED_ETIMEOUT   a timeout expired (retryable)
 *   HEED_ECONNECT   cannot resolve or connect (retryable)
 *   HEED_ETOOBIG    body over max_body, a header line over
 *                   HEED_HTTP_MAX_HEADER_LINE, or more than
 *                   HEED_HTTP_MAX_HEADERS headers; the transfer is
 *                   abandoned and body never holds more than max_body
 *   HEED_EINVAL     bad URL, scheme other than http(s), bad header line
 *   HEED_EIO        anything else on the way (reset, TLS, bad framing)
 *
 * A POST, PUT or DELETE with a body gets Content-Length and no
 * "Expect: 100-continue"; set Content-Type yourself. */
int heed_http_perform(struct heed_http *h, const struct heed_http_req *req,
		      struct heed_http_resp *resp, struct heed_err *err)
	HEED_MUSTCHECK;

/* GET url with optional extra headers: heed_http_perform shorthand. */
int heed_http_get(struct heed_http *h, const char *url,
		  const char *const *headers, struct heed_http_resp *resp,
		  struct heed_err *err) HEED_MUSTCHECK;

/* Map an HTTP status onto a heed code: 2xx HEED_OK; 401 and 403
 * HEED_EAUTH; 429 HEED_ERATELIMIT; other 4xx HEED_EHTTP; 5xx HEED_EHTTP5;
 * anything else (1xx, 3xx, garbage) HEED_EHTTP. */
int heed_http_status_code(long status);

/* Percent-encode len bytes of s for use as a query name or value: all but
 * RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~) become %XX. The
 * result is allocated (free it); never NULL. */
char *heed_http_escape(const char *s, size_t len);

/* One query parameter; a NULL value leaves the parameter out (handy for an
 * optional cursor). Arrays of these end with a { NULL } row. */
struct heed_http_param {
	const char *name;
	const char *value;
};

/* Append base and then params, each escaped, to url: "?" or "&" as base
 * requires. Returns HEED_EINVAL when base has a fragment ('#'), or
 * HEED_ETOOBIG past url's cap; on failure url is as it was. */
int heed_http_url_build(struct heed_buf *url, const char *base,
			const struct heed_http_param *params) HEED_MUSTCHECK;

/* Write a form of url that is safe for logs into out (outsz bytes, always
 * NUL-terminated): scheme, host, port and path; user info is dropped and a
 * query or fragment shows as "?...". An unparsable URL gives "(invalid
 * URL)". Returns out. */
char *heed_http_url_redact(char *out, size_t outsz, const char *url);

#endif

/* fixture.h: recorded API pages for the adapters' unit tests: read a file
 * under tests/fixtures/, dress it up as an HTTP response (with its
 * NAME.headers sidecar), and read query parameters back out of a built
 * request URL. Every failure to find a file aborts: it is a broken test. */
#ifndef HEED_TEST_FIXTURE_H
#define HEED_TEST_FIXTURE_H

#include <stddef.h>

#include "heed/http.h"
#include "heed/source.h"

/* The content of tests/fixtures/<rel> (NUL-terminated; *len may be NULL).
 * The caller frees it. */
char *ht_fixture_read(const char *rel, size_t *len);

/* Fill resp (initialised by this call) as a response with status and body
 * (len bytes) and the given "Name: value" header lines (NULL-terminated
 * array, or NULL). Release it with heed_http_resp_release. */
void ht_resp_set(struct heed_http_resp *resp, long status, const char *body,
		 size_t len, const char *const *headers);

/* Fill resp from tests/fixtures/<json_rel>, with the headers of
 * <headers_rel> (may be NULL: none; status line taken from it, else 200). */
void ht_resp_fixture(struct heed_http_resp *resp, const char *json_rel,
		     const char *headers_rel);

/* The value of the first query parameter name in url, percent-decoded
 * (caller frees), or NULL when it is not there. nth > 0 takes later
 * occurrences of a repeated name. */
char *ht_url_param(const char *url, const char *name, unsigned nth);

/* A source for adapter tests: kind, base_url and the NULL-terminated
 * queries (may be NULL) copied, account copied when not NULL. Free it with
 * heed_source_free. */
struct heed_source *ht_source(const struct heed_source_ops *ops,
			      const char *kind, const char *base_url,
			      const char *const *queries, const char *account,
			      unsigned page_size);

/* Build src's request from cursor at now_ms; aborts unless it succeeds.
 * Returns the URL; *header0 (may be NULL) gets a copy of the first header
 * line or NULL. The caller frees both. */
char *ht_build_url(const struct heed_source *src, const char *cursor,
		   const char *bearer, int64_t now_ms, char **header0);

/* Parse body (with "Name: value" headers, may be NULL) as a 200 response
 * to the request built from cursor, at now_ms, into page (initialised
 * here); returns what parse returned. */
int ht_parse_body(const struct heed_source *src, const char *cursor,
		  const char *body, const char *const *headers, int64_t now_ms,
		  struct heed_page *page);

/* The same with tests/fixtures/<json_rel> and its headers file. */
int ht_parse_fixture(const struct heed_source *src, const char *cursor,
		     const char *json_rel, const char *headers_rel,
		     int64_t now_ms, struct heed_page *page);

#endif

/* fixture.c: recorded API pages as HTTP responses (see fixture.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heed/xalloc.h"
#include "fixture.h"
#include "support.h"

char *ht_fixture_read(const char *rel, size_t *len)
{
	char *path = xasprintf("%s/tests/fixtures/%s", ht_srcdir(), rel), *buf;
	FILE *f = fopen(path, "rb");
	size_t n = 0, alloc = 4096, got;

	if (!f) {
		perror(path);
		abort();
	}
	buf = xmalloc(alloc);
	while ((got = fread(buf + n, 1, alloc - n - 1, f)) > 0) {
		n += got;
		if (alloc - n - 1 == 0) {
			alloc *= 2;
			buf = xrealloc(buf, alloc);
		}
	}
	fclose(f);
	free(path);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void add_header(struct heed_http_resp *resp, const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n);
	struct heed_http_header *h;
	size_t vs, ve;

	if (!colon)
		return;
	resp->headers = xreallocarray(resp->headers, resp->nheaders + 1,
				      sizeof(*resp->headers));
	h = &resp->headers[resp->nheaders++];
	h->name = xstrndup(line, (size_t)(colon - line));
	for (char *c = h->name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	vs = (size_t)(colon - line) + 1;
	while (vs < n && (line[vs] == ' ' || line[vs] == '\t'))
		vs++;
	ve = n;
	while (ve > vs && (line[ve - 1] == ' ' || line[ve - 1] == '\r'))
		ve--;
	h->value = xstrndup(line + vs, ve - vs);
}

void ht_resp_set(struct heed_http_resp *resp, long status, const char *body,
		 size_t len, const char *const *headers)
{
	heed_http_resp_init(resp);
	resp->status = status;
	if (heed_buf_add(&resp->body, body, len))
		abort();
	for (size_t i = 0; headers && headers[i]; i++)
		add_header(resp, headers[i], strlen(headers[i]));
}

void ht_resp_fixture(struct heed_http_resp *resp, const char *json_rel,
		     const char *headers_rel)
{
	size_t len;
	char *body = ht_fixture_read(json_rel, &len), *hdr, *line, *next;

	ht_resp_set(resp, 200, body, len, NULL);
	free(body);
	if (!headers_rel)
		return;
	hdr = ht_fixture_read(headers_rel, NULL);
	for (line = hdr; line && *line; line = next) {
		size_t n = strcspn(line, "\n");

		next = line[n] ? line + n + 1 : NULL;
		if (!strncmp(line, "HTTP/", 5)) {
			const char *sp = strchr(line, ' ');

			resp->status = sp ? strtol(sp + 1, NULL, 10) : 200;
			continue;
		}
		add_header(resp, line, n);
	}
	free(hdr);
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static char *decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexv(s[i + 1]) >= 0 &&
		    hexv(s[i + 2]) >= 0) {
			*o++ = (char)(hexv(s[i + 1]) * 16 + hexv(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i] == '+' ? ' ' : s[i];
		}
	}
	*o = '\0';
	return out;
}

char *ht_url_param(const char *url, const char *name, unsigned nth)
{
	const char *q = strchr(url, '?');

	while (q && *q) {
		const char *p = q + 1, *eq, *end;
		char *key;
		bool hit;

		end = p + strcspn(p, "&#");
		eq = memchr(p, '=', (size_t)(end - p));
		key = decode(p, (size_t)((eq ? eq : end) - p));
		hit = !strcmp(key, name);
		free(key);
		if (hit && nth-- == 0)
			return eq ? decode(eq + 1, (size_t)(end - eq - 1)) : xstrdup("");
		q = *end == '&' ? end : NULL;
	}
	return NULL;
}

struct heed_source *ht_source(const struct heed_source_ops *ops,
			      const char *kind, const char *base_url,
			      const char *const *queries, const char *account,
			      unsigned page_size)
{
	struct heed_source *s = xcalloc(1, sizeof(*s));
	size_t n = 0;

	while (queries && queries[n])
		n++;
	s->name = xstrdup("test");
	s->ops = ops;
	s->kind = xstrdup(kind);
	s->brand = xstrdup("acme");
	s->base_url = xstrdup(base_url);
	s->queries = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		s->queries[i] = xstrdup(queries[i]);
	s->nqueries = n;
	s->account = account ? xstrdup(account) : NULL;
	s->own_accounts = xcalloc(1, sizeof(char *));
	s->exclude = xcalloc(1, sizeof(char *));
	s->page_size = page_size;
	return s;
}

char *ht_build_url(const struct heed_source *src, const char *cursor,
		   const char *bearer, int64_t now_ms, char **header0)
{
	struct heed_req req = { 0 };
	struct heed_err err;
	char *url;
	int rc;

	heed_err_clear(&err);
	rc = src->ops->build(src, cursor, bearer, now_ms, &req, &err);
	if (rc || req.method != HEED_HTTP_GET || !req.url) {
		fprintf(stderr, "build failed for cursor %s: %s\n", cursor,
			heed_err_msg(&err));
		abort();
	}
	if (header0)
		*header0 = req.headers[0] ? xstrdup(req.headers[0]) : NULL;
	url = req.url;
	req.url = NULL;
	heed_req_release(&req);
	return url;
}

int ht_parse_body(const struct heed_source *src, const char *cursor,
		  const char *body, const char *const *headers, int64_t now_ms,
		  struct heed_page *page)
{
	struct heed_http_resp resp;
	struct heed_err err;
	int rc;

	heed_err_clear(&err);
	ht_resp_set(&resp, 200, body, strlen(body), headers);
	heed_page_init(page);
	rc = src->ops->parse(src, cursor, &resp, now_ms, page, &err);
	heed_http_resp_release(&resp);
	return rc;
}

int ht_parse_fixture(const struct heed_source *src, const char *cursor,
		     const char *json_rel, const char *headers_rel,
		     int64_t now_ms, struct heed_page *page)
{
	struct heed_http_resp resp;
	struct heed_err err;
	int rc;

	heed_err_clear(&err);
	ht_resp_fixture(&resp, json_rel, headers_rel);
	heed_page_init(page);
	rc = src->ops->parse(src, cursor, &resp, now_ms, page, &err);
	heed_http_resp_release(&resp);
	return rc;
}

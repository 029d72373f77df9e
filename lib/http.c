/* http.c: libcurl easy-API client with capped bodies and headers, errors
 * mapped onto heed codes, and log-safe request names (see heed/http.h). */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "heed/http.h"
#include "heed/xalloc.h"

#ifndef HEED_VERSION
#define HEED_VERSION "dev"
#endif

struct heed_http {
	CURL *curl;
	struct heed_http_opts opts;	/* defaults filled in */
	char *user_agent;
};

enum overflow {
	OVER_NONE,
	OVER_BODY,
	OVER_HEADER_LINE,
	OVER_HEADER_COUNT,
};

/* One transfer: where the callbacks write, and which cap stopped it. */
struct xfer {
	struct heed_http_resp *resp;
	enum overflow overflow;
};

static const char *const method_names[] = {
	[HEED_HTTP_GET] = "GET",
	[HEED_HTTP_POST] = "POST",
	[HEED_HTTP_PUT] = "PUT",
	[HEED_HTTP_DELETE] = "DELETE",
};

int heed_http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) ? HEED_EIO : HEED_OK;
}

void heed_http_global_cleanup(void)
{
	curl_global_cleanup();
}

struct heed_http *heed_http_new(const struct heed_http_opts *opts,
				struct heed_err *err)
{
	struct heed_http_opts o = { 0 };
	struct heed_http *h;

	if (opts)
		o = *opts;
	if (o.connect_timeout_ms < 0 || o.timeout_ms < 0) {
		heed_err_set(err, HEED_EINVAL,
			     "HTTP timeouts cannot be negative");
		return NULL;
	}
	if (o.user_agent && strpbrk(o.user_agent, "\r\n")) {
		heed_err_set(err, HEED_EINVAL,
			     "HTTP user agent has a line break");
		return NULL;
	}
	if (!o.connect_timeout_ms)
		o.connect_timeout_ms = HEED_HTTP_CONNECT_TIMEOUT_MS;
	if (!o.timeout_ms)
		o.timeout_ms = HEED_HTTP_TIMEOUT_MS;
	if (!o.max_body)
		o.max_body = HEED_HTTP_MAX_BODY;

	h = xcalloc(1, sizeof(*h));
	h->user_agent = xstrdup(o.user_agent ? o.user_agent
				: "heed/" HEED_VERSION);
	o.user_agent = h->user_agent;
	h->opts = o;
	h->curl = curl_easy_init();
	if (!h->curl) {
		heed_err_set(err, HEED_EIO, "cannot set up libcurl");
		goto out_free_handle;
	}
	return h;

out_free_handle:
	free(h->user_agent);
	free(h);
	return NULL;
}

void heed_http_free(struct heed_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	free(h->user_agent);
	free(h);
}

/* ---- responses -------------------------------------------------------- */

static void free_headers(struct heed_http_resp *resp)
{
	for (size_t i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->headers);
	resp->headers = NULL;
	resp->nheaders = 0;
}

void heed_http_resp_init(struct heed_http_resp *resp)
{
	resp->status = 0;
	heed_buf_init(&resp->body, 0);
	resp->total_ms = 0;
	resp->headers = NULL;
	resp->nheaders = 0;
}

void heed_http_resp_release(struct heed_http_resp *resp)
{
	free_headers(resp);
	heed_buf_release(&resp->body);
	heed_http_resp_init(resp);
}

const char *heed_http_resp_header(const struct heed_http_resp *resp,
				  const char *name)
{
	for (size_t i = resp->nheaders; i-- > 0;)
		if (!strcasecmp(resp->headers[i].name, name))
			return resp->headers[i].value;
	return NULL;
}

size_t heed_http_resp_header_count(const struct heed_http_resp *resp)
{
	return resp->nheaders;
}

const struct heed_http_header *
heed_http_resp_header_at(const struct heed_http_resp *resp, size_t i)
{
	return i < resp->nheaders ? &resp->headers[i] : NULL;
}

/* ---- libcurl callbacks ------------------------------------------------ */

/* Body bytes (decoded). Returning less than given makes libcurl abandon the
 * transfer with CURLE_WRITE_ERROR; heed_buf_add appends nothing when the
 * chunk would cross the cap, so the body never exceeds it. */
static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (heed_buf_add(&x->resp->body, p, len)) {
		x->overflow = OVER_BODY;
		return 0;
	}
	return len;
}

/* One complete header line, CRLF included. A status line starts a new
 * response (after a 1xx or a followed redirect): forget earlier headers. */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	struct heed_http_resp *resp = x->resp;
	size_t len = size * n;
	const char *end = p + len, *colon, *v;
	struct heed_http_header *hd;

	if (len > HEED_HTTP_MAX_HEADER_LINE) {
		x->overflow = OVER_HEADER_LINE;
		return 0;
	}
	if (len >= 5 && !memcmp(p, "HTTP/", 5)) {
		free_headers(resp);
		return len;
	}
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	/* blank line ending the head, or an obsolete folded continuation */
	if (end == p || *p == ' ' || *p == '\t')
		return len;
	colon = memchr(p, ':', (size_t)(end - p));
	if (!colon || colon == p)
		return len;
	if (resp->nheaders == HEED_HTTP_MAX_HEADERS) {
		x->overflow = OVER_HEADER_COUNT;
		return 0;
	}
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	resp->headers = xreallocarray(resp->headers, resp->nheaders + 1,
				      sizeof(*resp->headers));
	hd = &resp->headers[resp->nheaders++];
	hd->name = xstrndup(p, (size_t)(colon - p));
	for (char *c = hd->name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	hd->value = xstrndup(v, (size_t)(end - v));
	return len;
}

/* ---- requests --------------------------------------------------------- */

/* Parse url with libcurl's parser and write its log-safe form into out,
 * with the path as "/..." when hide_path. Returns HEED_OK, HEED_EINVAL
 * when it does not parse, or HEED_ENOMEM. *web says whether the scheme is
 * http or https. */
static int redact(const char *url, bool hide_path, char *out, size_t outsz,
		  bool *web)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	char *query = NULL, *frag = NULL;
	int rc = HEED_EINVAL;
	CURLU *u;

	u = curl_url();
	if (!u)
		return HEED_ENOMEM;
	if (!url || curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0))
		goto out_free_parts;
	/* these two fail when absent, which is fine */
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
	snprintf(out, outsz, "%s://%s%s%s%s%s", scheme, host, port ? ":" : "",
		 port ? port : "", hide_path ? "/..." : path,
		 query || frag ? "?..." : "");
	*web = !strcmp(scheme, "http") || !strcmp(scheme, "https");
	rc = HEED_OK;

out_free_parts:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_free(frag);
	curl_url_cleanup(u);
	return rc;
}

char *heed_http_url_redact(char *out, size_t outsz, const char *url)
{
	bool web;

	if (!outsz)
		return out;
	if (redact(url, false, out, outsz, &web))
		snprintf(out, outsz, "(invalid URL)");
	return out;
}

/* Check req and name it for messages: "GET 'http://host/path?...'". */
static int check_request(const struct heed_http_req *req, char *where,
			 size_t wheresz, struct heed_err *err)
{
	char safe[192];
	const char *m;
	bool web = false;
	int rc;

	if ((unsigned)req->method > HEED_HTTP_DELETE)
		return heed_err_set(err, HEED_EINVAL, "unknown HTTP method %d",
				    (int)req->method);
	m = method_names[req->method];
	rc = redact(req->url, req->secret_path, safe, sizeof(safe), &web);
	if (rc)
		return heed_err_set(err, rc, "%s: invalid URL", m);
	snprintf(where, wheresz, "%s '%s'", m, safe);
	if (!web)
		return heed_err_set(err, HEED_EINVAL,
				    "%s: only http and https are allowed",
				    where);
	if (req->connect_timeout_ms < 0 || req->timeout_ms < 0)
		return heed_err_set(err, HEED_EINVAL,
				    "%s: negative timeout", where);
	return HEED_OK;
}

/* libcurl copies each line; it fails only when out of memory, which heed
 * treats as fatal (heed/xalloc.h). */
static struct curl_slist *slist_add(struct curl_slist *list, const char *s)
{
	struct curl_slist *l = curl_slist_append(list, s);

	if (!l)
		abort();
	return l;
}

/* The request's header lines for libcurl (NULL when there are none).
 * Lines with CR or LF would let a value smuggle extra headers in. */
static int build_headers(const struct heed_http_req *req, const char *where,
			 struct curl_slist **out, struct heed_err *err)
{
	struct curl_slist *list = NULL;
	bool expect = false;

	for (size_t i = 0; req->headers && req->headers[i]; i++) {
		const char *line = req->headers[i];
		size_t name = strcspn(line, ":;");

		if (strpbrk(line, "\r\n") || !name || !line[name]) {
			curl_slist_free_all(list);
			return heed_err_set(err, HEED_EINVAL,
					    "%s: header %zu is not one 'Name: value' line",
					    where, i);
		}
		if (!strncasecmp(line, "Expect:", 7))
			expect = true;
		list = slist_add(list, line);
	}
	/* libcurl would wait up to a second for "100 Continue" on larger
	 * bodies; the APIs heed talks to gain nothing from it */
	if (req->method != HEED_HTTP_GET && !expect)
		list = slist_add(list, "Expect:");
	*out = list;
	return HEED_OK;
}

static long clamp_ms(int64_t ms)
{
	return ms > LONG_MAX ? LONG_MAX : (long)ms;
}

/* Configure the easy handle for one request. curl_easy_reset clears every
 * option of the previous request but keeps the live connection. */
static int setup(struct heed_http *h, const struct heed_http_req *req,
		 struct curl_slist *headers, struct xfer *x, const char *where,
		 struct heed_err *err)
{
	CURL *c = h->curl;
	int64_t cto = req->connect_timeout_ms ? req->connect_timeout_ms
					      : h->opts.connect_timeout_ms;
	int64_t to = req->timeout_ms ? req->timeout_ms : h->opts.timeout_ms;

	curl_easy_reset(c);
	if (curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(c, CURLOPT_URL, req->url))
		return heed_err_set(err, HEED_EIO,
				    "%s: libcurl refused the request options",
				    where);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, clamp_ms(cto));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, clamp_ms(to));
	curl_easy_setopt(c, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	/* refuses early when Content-Length is already over the cap */
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
			 (curl_off_t)h->opts.max_body);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION,
			 h->opts.max_redirects ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)h->opts.max_redirects);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);

	if (req->method == HEED_HTTP_GET)
		return HEED_OK;
	if (req->method == HEED_HTTP_DELETE && !req->body) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
		return HEED_OK;
	}
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)req->body_len);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
	if (req->method != HEED_HTTP_POST)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST,
				 method_names[req->method]);
	return HEED_OK;
}

/* Map the outcome of curl_easy_perform onto a heed code. Only libcurl's
 * fixed strings go into messages: its error buffer may quote the peer. */
static int classify(const struct heed_http *h, CURLcode cc,
		    const struct xfer *x, const struct heed_http_resp *resp,
		    const char *where, struct heed_err *err)
{
	switch (cc) {
	case CURLE_OK:
		return HEED_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return heed_err_set(err, HEED_ETIMEOUT,
				    "%s: timed out after %lld ms", where,
				    (long long)resp->total_ms);
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return heed_err_set(err, HEED_ECONNECT,
				    "%s: cannot connect: %s", where,
				    curl_easy_strerror(cc));
	case CURLE_FILESIZE_EXCEEDED:
		return heed_err_set(err, HEED_ETOOBIG,
				    "%s: response body is over the %zu-byte cap",
				    where, h->opts.max_body);
	case CURLE_WRITE_ERROR:
		switch (x->overflow) {
		case OVER_NONE:
			break;
		case OVER_BODY:
			return heed_err_set(err, HEED_ETOOBIG,
					    "%s: response body is over the %zu-byte cap",
					    where, h->opts.max_body);
		case OVER_HEADER_LINE:
			return heed_err_set(err, HEED_ETOOBIG,
					    "%s: response header line is over %d bytes",
					    where, HEED_HTTP_MAX_HEADER_LINE);
		case OVER_HEADER_COUNT:
			return heed_err_set(err, HEED_ETOOBIG,
					    "%s: response has more than %d headers",
					    where, HEED_HTTP_MAX_HEADERS);
		}
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return heed_err_set(err, HEED_EINVAL, "%s: %s", where,
				    curl_easy_strerror(cc));
	default:
		break;
	}
	return heed_err_set(err, HEED_EIO, "%s: %s", where,
			    curl_easy_strerror(cc));
}

int heed_http_perform(struct heed_http *h, const struct heed_http_req *req,
		      struct heed_http_resp *resp, struct heed_err *err)
{
	struct curl_slist *headers = NULL;
	struct xfer x = { resp, OVER_NONE };
	curl_off_t us = 0;
	char where[224];
	CURLcode cc;
	long status = 0;
	int rc;

	heed_http_resp_release(resp);
	heed_buf_init(&resp->body, h->opts.max_body);
	rc = check_request(req, where, sizeof(where), err);
	if (rc)
		return rc;
	rc = build_headers(req, where, &headers, err);
	if (rc)
		return rc;
	rc = setup(h, req, headers, &x, where, err);
	if (rc)
		goto out_free_headers;

	cc = curl_easy_perform(h->curl);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(h->curl, CURLINFO_TOTAL_TIME_T, &us);
	resp->status = status;
	resp->total_ms = (int64_t)us / 1000;
	rc = classify(h, cc, &x, resp, where, err);

out_free_headers:
	/* the handle keeps no pointer to the list; the next setup() resets
	 * the rest (the body pointer is never read without a new request) */
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	return rc;
}

int heed_http_get(struct heed_http *h, const char *url,
		  const char *const *headers, struct heed_http_resp *resp,
		  struct heed_err *err)
{
	struct heed_http_req req = {
		.method = HEED_HTTP_GET,
		.url = url,
		.headers = headers,
	};

	return heed_http_perform(h, &req, resp, err);
}

int heed_http_status_code(long status)
{
	if (status >= 200 && status <= 299)
		return HEED_OK;
	if (status == 401 || status == 403)
		return HEED_EAUTH;
	if (status == 429)
		return HEED_ERATELIMIT;
	if (status >= 500 && status <= 599)
		return HEED_EHTTP5;
	return HEED_EHTTP;
}

/* ---- URLs ------------------------------------------------------------- */

static int add_escaped(struct heed_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = HEED_OK;

	for (size_t i = 0; i < len && !rc; i++) {
		unsigned char c = (unsigned char)s[i];
		char pct[3] = { '%', hex[c >> 4], hex[c & 15] };

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			rc = heed_buf_addc(b, (char)c);
		else
			rc = heed_buf_add(b, pct, sizeof(pct));
	}
	return rc;
}

char *heed_http_escape(const char *s, size_t len)
{
	struct heed_buf b;

	heed_buf_init(&b, 0);
	if (add_escaped(&b, s, len))
		abort();	/* cannot happen: b has no cap */
	return heed_buf_detach(&b, NULL);
}

static int add_param(struct heed_buf *url, char sep,
		     const struct heed_http_param *p)
{
	int rc = HEED_OK;

	if (sep)
		rc = heed_buf_addc(url, sep);
	if (!rc)
		rc = add_escaped(url, p->name, strlen(p->name));
	if (!rc)
		rc = heed_buf_addc(url, '=');
	if (!rc)
		rc = add_escaped(url, p->value, strlen(p->value));
	return rc;
}

int heed_http_url_build(struct heed_buf *url, const char *base,
			const struct heed_http_param *params)
{
	size_t start = heed_buf_len(url), n = strlen(base);
	const char *q = strchr(base, '?');
	char sep = '?';
	int rc;

	if (strchr(base, '#'))
		return HEED_EINVAL;
	if (q)
		sep = base[n - 1] == '?' || base[n - 1] == '&' ? '\0' : '&';
	rc = heed_buf_add(url, base, n);
	for (const struct heed_http_param *p = params; !rc && p && p->name;
	     p++) {
		if (!p->value)
			continue;
		rc = add_param(url, sep, p);
		sep = '&';
	}
	if (rc)
		heed_buf_truncate(url, start);
	return rc;
}

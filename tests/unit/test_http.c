/* test_http.c: the libcurl wrapper against a tiny scripted HTTP server that
 * runs in a thread of this test on 127.0.0.1 (port 0): headers, caps,
 * timeouts, refused connections, status mapping, request fidelity and
 * secret-free error messages; plus the pure URL helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "heed/buf.h"
#include "heed/clock.h"
#include "heed/http.h"
#include "heed/xalloc.h"

/* ---- the scripted server ---------------------------------------------- */

enum reply_kind {
	REPLY_CANNED,	/* send reply to each request; keep the connection */
	REPLY_SILENT,	/* read the request, then say nothing at all */
	REPLY_DRIP,	/* send reply (a head), then a body byte per 20 ms */
};

struct server {
	int lfd;
	int stop[2];		/* a byte here tells the thread to end */
	int port;
	pthread_t thread;
	enum reply_kind kind;
	char *reply;
	size_t reply_len;
	pthread_mutex_t lock;	/* guards what follows */
	struct heed_buf last;	/* the last request, head and body */
	unsigned accepts;
	unsigned requests;
};

/* Wait for events on fd (-1: none) or for the stop byte. 1 when fd is
 * ready, 0 on timeout, -1 when stopping or on error. */
static int wait_fd(struct server *s, int fd, short events, int timeout_ms)
{
	struct pollfd p[2] = {
		{ .fd = s->stop[0], .events = POLLIN },
		{ .fd = fd, .events = events },
	};
	int n = poll(p, 2, timeout_ms);

	if (n < 0 || p[0].revents)
		return -1;
	return n > 0;
}

static int send_all(struct server *s, int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n;

		if (wait_fd(s, fd, POLLOUT, -1) <= 0)
			return -1;
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static size_t content_length(const char *head, size_t len)
{
	char *h = xstrndup(head, len);
	const char *cl = strcasestr(h, "\r\ncontent-length:");
	size_t n = cl ? strtoul(cl + 17, NULL, 10) : 0;

	free(h);
	return n;
}

/* Read one request (head plus Content-Length body) into req. False at EOF,
 * on error, or when stopping. */
static bool read_request(struct server *s, int fd, struct heed_buf *req)
{
	size_t want = SIZE_MAX;
	char chunk[65536];

	heed_buf_reset(req);
	while (heed_buf_len(req) < want) {
		const char *p, *end;
		ssize_t n;

		if (wait_fd(s, fd, POLLIN, -1) <= 0)
			return false;
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n <= 0 || heed_buf_add(req, chunk, (size_t)n))
			return false;
		if (want != SIZE_MAX)
			continue;
		p = heed_buf_str(req);
		end = memmem(p, heed_buf_len(req), "\r\n\r\n", 4);
		if (end)
			want = (size_t)(end + 4 - p) +
			       content_length(p, (size_t)(end + 4 - p));
	}
	return true;
}

static void serve_conn(struct server *s, int fd, struct heed_buf *req)
{
	char c;

	while (read_request(s, fd, req)) {
		pthread_mutex_lock(&s->lock);
		heed_buf_reset(&s->last);
		if (heed_buf_add(&s->last, heed_buf_str(req),
				 heed_buf_len(req)))
			abort();
		s->requests++;
		pthread_mutex_unlock(&s->lock);

		if (send_all(s, fd, s->reply, s->reply_len))
			return;
		switch (s->kind) {
		case REPLY_CANNED:
			break;
		case REPLY_SILENT:	/* until the client gives up */
			while (wait_fd(s, fd, POLLIN, -1) > 0)
				if (recv(fd, &c, 1, 0) <= 0)
					return;
			return;
		case REPLY_DRIP:
			while (wait_fd(s, -1, 0, 20) == 0)
				if (send(fd, "x", 1, MSG_NOSIGNAL) != 1)
					return;
			return;
		}
	}
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	struct heed_buf req;

	heed_buf_init(&req, 0);
	while (wait_fd(s, s->lfd, POLLIN, -1) > 0) {
		int fd = accept(s->lfd, NULL, NULL);

		if (fd < 0)
			continue;
		pthread_mutex_lock(&s->lock);
		s->accepts++;
		pthread_mutex_unlock(&s->lock);
		serve_conn(s, fd, &req);
		close(fd);
	}
	heed_buf_release(&req);
	return NULL;
}

/* Listen on 127.0.0.1 with a kernel-chosen port and serve in a thread. The
 * server is ready once this returns: listen() has been called. */
static void server_start(struct server *s, enum reply_kind kind,
			 const char *reply, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof(sa);

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->reply = xmalloc(len + 1);
	memcpy(s->reply, reply, len);
	s->reply_len = len;
	heed_buf_init(&s->last, 0);
	pthread_mutex_init(&s->lock, NULL);
	assert_int_equal(pipe(s->stop), 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 16), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sa, &salen),
			 0);
	s->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_start_str(struct server *s, enum reply_kind kind,
			     const char *reply)
{
	server_start(s, kind, reply, strlen(reply));
}

static void server_stop(struct server *s)
{
	assert_int_equal(write(s->stop[1], "x", 1), 1);
	pthread_join(s->thread, NULL);
	close(s->lfd);
	close(s->stop[0]);
	close(s->stop[1]);
	free(s->reply);
	heed_buf_release(&s->last);
	pthread_mutex_destroy(&s->lock);
}

/* A copy of the last request (free it); *len gets its length. */
static char *server_last(struct server *s, size_t *len)
{
	char *p;

	pthread_mutex_lock(&s->lock);
	*len = heed_buf_len(&s->last);
	p = xmalloc(*len + 1);
	memcpy(p, heed_buf_str(&s->last), *len + 1);
	pthread_mutex_unlock(&s->lock);
	return p;
}

static unsigned server_count(struct server *s, unsigned *requests)
{
	unsigned a;

	pthread_mutex_lock(&s->lock);
	a = s->accepts;
	*requests = s->requests;
	pthread_mutex_unlock(&s->lock);
	return a;
}

static char *url_for(const struct server *s, const char *path)
{
	return xasprintf("http://127.0.0.1:%d%s", s->port, path);
}

/* Timeouts for requests that are expected to succeed: generous next to a
 * loopback round trip, short enough that a bug fails fast. */
static struct heed_http *client(size_t max_body, int64_t timeout_ms)
{
	struct heed_http_opts o = {
		.connect_timeout_ms = 500,
		.timeout_ms = timeout_ms ? timeout_ms : 1000,
		.max_body = max_body,
		.user_agent = "heed-test/1",
	};
	struct heed_err err;
	struct heed_http *h = heed_http_new(&o, &err);

	if (!h)
		fail_msg("heed_http_new: %s", heed_err_msg(&err));
	return h;
}

/* ---- exchanges -------------------------------------------------------- */

static void get_captures_status_body_and_headers(void **state)
{
	static const char reply[] =
		"HTTP/1.1 200 OK\r\n"
		"Content-Type: application/json\r\n"
		"X-RateLimit-Remaining: 42\r\n"
		"x-ratelimit-reset:   1599571500  \r\n"
		"Link: <https://api.example/next>; rel=\"next\"\r\n"
		"LINK: <https://api.example/prev>; rel=\"prev\"\r\n"
		"X-Empty:\r\n"
		"Content-Length: 11\r\n"
		"\r\n"
		"{\"ok\":true}";
	struct heed_http_resp resp;
	struct heed_err err;
	struct server s;
	struct heed_http *h;
	unsigned links = 0;
	char *url, *req;
	size_t len;
	(void)state;

	server_start_str(&s, REPLY_CANNED, reply);
	h = client(0, 0);
	url = url_for(&s, "/v1/items?x=1");
	heed_http_resp_init(&resp);
	assert_int_equal(heed_http_get(h, url, NULL, &resp, &err), HEED_OK);
	assert_int_equal(resp.status, 200);
	assert_int_equal(heed_http_status_code(resp.status), HEED_OK);
	assert_string_equal(heed_buf_str(&resp.body), "{\"ok\":true}");
	assert_int_equal(heed_buf_len(&resp.body), 11);
	assert_true(resp.total_ms >= 0 && resp.total_ms < 1000);

	/* any case finds it; values are trimmed */
	assert_string_equal(heed_http_resp_header(&resp,
				"x-ratelimit-remaining"), "42");
	assert_string_equal(heed_http_resp_header(&resp,
				"X-RateLimit-Remaining"), "42");
	assert_string_equal(heed_http_resp_header(&resp,
				"X-RATELIMIT-RESET"), "1599571500");
	assert_string_equal(heed_http_resp_header(&resp, "x-empty"), "");
	assert_null(heed_http_resp_header(&resp, "x-missing"));
	/* a repeated header: lookup gives the last, iteration gives all */
	assert_string_equal(heed_http_resp_header(&resp, "link"),
			    "<https://api.example/prev>; rel=\"prev\"");
	assert_int_equal(heed_http_resp_header_count(&resp), 7);
	for (size_t i = 0; i < heed_http_resp_header_count(&resp); i++) {
		const struct heed_http_header *hd =
			heed_http_resp_header_at(&resp, i);

		for (const char *c = hd->name; *c; c++)
			assert_false(*c >= 'A' && *c <= 'Z');
		if (!strcmp(hd->name, "link"))
			links++;
	}
	assert_int_equal(links, 2);
	assert_string_equal(heed_http_resp_header_at(&resp, 0)->name,
			    "content-type");
	assert_null(heed_http_resp_header_at(&resp, 7));

	/* what the server saw */
	req = server_last(&s, &len);
	assert_memory_equal(req, "GET /v1/items?x=1 HTTP/1.1\r\n", 28);
	assert_non_null(strstr(req, "\r\nUser-Agent: heed-test/1\r\n"));
	assert_non_null(strstr(req, "\r\nAccept-Encoding: "));
	assert_null(strstr(req, "Expect:"));
	free(req);

	heed_http_resp_release(&resp);
	assert_int_equal(heed_http_resp_header_count(&resp), 0);
	heed_http_resp_release(&resp);	/* twice is harmless */
	free(url);
	heed_http_free(h);
	heed_http_free(NULL);
	server_stop(&s);
}

static void handle_keeps_connection_alive(void **state)
{
	static const char reply[] =
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	struct heed_http_req post = {
		.method = HEED_HTTP_POST, .body = "{}", .body_len = 2,
	};
	struct heed_http_resp resp;
	struct heed_err err;
	struct server s;
	struct heed_http *h;
	unsigned requests;
	char *url, *req;
	size_t len;
	(void)state;

	server_start_str(&s, REPLY_CANNED, reply);
	h = client(0, 0);
	url = url_for(&s, "/a");
	post.url = url;
	heed_http_resp_init(&resp);
	assert_int_equal(heed_http_get(h, url, NULL, &resp, &err), HEED_OK);
	assert_int_equal(heed_http_perform(h, &post, &resp, &err), HEED_OK);
	/* a GET after a POST on the same handle is a plain GET again */
	assert_int_equal(heed_http_get(h, url, NULL, &resp, &err), HEED_OK);
	assert_string_equal(heed_buf_str(&resp.body), "ok");
	assert_int_equal(server_count(&s, &requests), 1);
	assert_int_equal(requests, 3);
	req = server_last(&s, &len);
	assert_memory_equal(req, "GET /a HTTP/1.1\r\n", 17);
	assert_null(strstr(req, "Content-Length"));
	free(req);
	heed_http_resp_release(&resp);
	free(url);
	heed_http_free(h);
	server_stop(&s);
}

static void request_body_and_headers_arrive_as_sent(void **state)
{
	static const char reply[] =
		"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
	/* 15 bytes with a NUL inside: the length rules, not strlen */
	static const char body[] = "{\"a\":\"\xc3\xa9\"}\0tail";
	const char *const headers[] = {
		"Content-Type: application/json",
		"Idempotency-Key: 5b0c1e4e-7f3a",
		"X-Empty;",
		NULL,
	};
	struct heed_http_req req = {
		.method = HEED_HTTP_POST, .headers = headers,
		.body = body, .body_len = sizeof(body) - 1,
	};
	struct heed_http_resp resp;
	struct heed_err err;
	struct heed_http *h;
	struct server s;
	char *url, *got, *big;
	size_t len;
	(void)state;

	server_start_str(&s, REPLY_CANNED, reply);
	h = client(0, 0);
	url = url_for(&s, "/api/v1/statuses");
	req.url = url;
	heed_http_resp_init(&resp);
	assert_int_equal(heed_http_perform(h, &req, &resp, &err), HEED_OK);
	assert_int_equal(resp.status, 201);
	got = server_last(&s, &len);
	assert_memory_equal(got, "POST /api/v1/statuses HTTP/1.1\r\n", 32);
	assert_non_null(strstr(got, "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(got, "\r\nIdempotency-Key: 5b0c1e4e-7f3a\r\n"));
	assert_non_null(strstr(got, "\r\nX-Empty:\r\n"));
	assert_non_null(strstr(got, "\r\nContent-Length: 15\r\n"));
	assert_null(strstr(got, "Expect:"));
	assert_true(len > sizeof(body) - 1);
	assert_memory_equal(got + len - (sizeof(body) - 1), body,
			    sizeof(body) - 1);
	free(got);

	/* a body big enough that libcurl would otherwise ask for 100-continue
	 * and stall a second: sent at once, all of it */
	len = 1536 * 1024;
	big = xmalloc(len);
	memset(big, 'b', len);
	req.body = big;
	req.body_len = len;
	req.method = HEED_HTTP_PUT;
	assert_int_equal(heed_http_perform(h, &req, &resp, &err), HEED_OK);
	got = server_last(&s, &len);
	assert_memory_equal(got, "PUT /api/v1/statuses HTTP/1.1\r\n", 31);
	assert_non_null(strstr(got, "\r\nContent-Length: 1572864\r\n"));
	assert_null(strstr(got, "Expect:"));
	assert_memory_equal(got + len - req.body_len, big, req.body_len);
	free(got);
	free(big);

	req.method = HEED_HTTP_DELETE;
	req.body = NULL;
	req.body_len = 0;
	assert_int_equal(heed_http_perform(h, &req, &resp, &err), HEED_OK);
	got = server_last(&s, &len);
	assert_memory_equal(got, "DELETE /api/v1/statuses HTTP/1.1\r\n", 34);
	free(got);

	heed_http_resp_release(&resp);
	free(url);
	heed_http_free(h);
	server_stop(&s);
}

static void gzip_body_is_decoded(void **state)
{
	static const char head[] =
		"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
		"Content-Length: 36\r\n\r\n";
	static const char gz[] =
		"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xab\x56\xca\x48\xcd"
		"\xc9\xc9\x57\xb2\x52\x4a\xaf\xca\x2c\x50\xaa\x05\x00\xf6\x4f"
		"\x05\x6f\x10\x00\x00\x00";
	struct heed_http_resp resp;
	struct heed_err err;
	struct heed_http *h;
	struct server s;
	char reply[sizeof(head) + sizeof(gz)];
	char *url, *got;
	size_t len;
	(void)state;

	memcpy(reply, head, sizeof(head) - 1);
	memcpy(reply + sizeof(head) - 1, gz, sizeof(gz) - 1);
	server_start(&s, REPLY_CANNED, reply, sizeof(head) + sizeof(gz) - 2);
	h = client(0, 0);
	url = url_for(&s, "/z");
	heed_http_resp_init(&resp);
	assert_int_equal(heed_http_get(h, url, NULL, &resp, &err), HEED_OK);
	assert_string_equal(heed_buf_str(&resp.body), "{\"hello\":\"gzip\"}");
	got = server_last(&s, &len);
	assert_non_null(strstr(got, "\r\nAccept-Encoding: "));
	assert_non_null(strstr(strstr(got, "\r\nAccept-Encoding: "), "gzip"));
	free(got);
	heed_http_resp_release(&resp);
	free(url);
	heed_http_free(h);
	server_stop(&s);
}

/* ---- caps ------------------------------------------------------------- */

static void body_over_cap_with_length_is_refused(void **state)
{
	struct heed_http_resp resp;
	struct heed_buf reply;
	struct heed_err err;
	struct heed_http *h;
	struct server s;
	char *url;
	(void)state;

	heed_buf_init(&reply, 0);
	assert_int_equal(heed_buf_adds(&reply, "HTTP/1.1 200 OK\r\n"
				       "Content-Length: 5000\r\n\r\n"),
			 HEED_OK);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(heed_buf_addc(&reply, 'x'), HEED_OK);
	server_start(&s, REPLY_CANNED, heed_buf_str(&reply),
		     heed_buf_len(&reply));
	h = client(1000, 0);
	url = url_for(&s, "/big");
	heed_http_resp_init(&resp);
	heed_err_clear(&err);
	assert_int_equal(heed_http_get(h, url, NULL, &resp, &err),
			 HEED_ETOOBIG);
	assert_int_equal(err.code, HEED_ETOOBIG);
	assert_true(heed_buf_len(&resp.body) <= 1000);
	assert_non_null(strstr(err.msg, "1000-byte cap"));
	assert_false(heed_err_is_retryable(err.code));
	heed_http_resp_release(&resp);
	heed_buf_release(&reply);
	free(url);
	heed_http_free(h);
	server_stop(&s);
}

/* Chunked, so no length up front: the write callback has to stop it. */
static void body_over_cap_streamed_is_cut_off(void **state)
{
	struct heed_http_resp resp;
	struct heed_buf reply;
	struct heed_err err;
	struct heed_http *h;
	struct server s;
	char chunk[500];
	char *url;
	(void)state;

	memset(chunk, 'y', sizeof(chunk));
	heed_buf_init(&reply, 0);
	assert_int_equal(heed_buf_adds(&reply, "HTTP/1.1 200 OK\r\n"
				       "Transfer-Encoding: chunked\r\n\r\n"),
			 HEED_OK);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(heed_buf_adds(&reply, "1f4\r\n"), HEED_OK);
		assert_int_equal(heed_buf_add(&reply, chunk, sizeof(chunk)),
				 HEED_OK);
		assert_int_equal(heed_buf_adds(&reply, "\r\n"), HEED_OK);
	}
	assert_int_equal(heed_buf_adds(&reply, "0\r\n\r\n"), HEED_OK);
	server_start(&s, REPLY_CANNED, heed_buf_str(&reply),
		     heed_buf_len(&reply));
	h = client(1200, 0);
	url = url_for(&s, "/stream");
	heed_http_resp_init(&resp);
	heed_err_clear(&err);
	assert_int_equal(heed_http_get(h, url, NULL, &resp, &err),
			 HEED_ETOOBIG);
	assert_int_equal(err.code, HEED_ETOOBIG);
	assert_true(heed_buf_len(&resp.body) <= 1200);
	assert_int_equal(resp.status, 200);
	heed_http_free(h);

	/* exactly at the cap is fine */
	h = client(20000, 0);
	assert_int_equal(heed_http_get(h, url, NULL, &resp, &err), HEED_OK);
	assert_int_equal(heed_buf_len(&resp.body), 20000);
	heed_http_resp_release(&resp);
	heed_buf_release(&reply);
	free(url);
	heed_http_free(h);
	server_stop(&s);
}

static void header_caps(void **state)
{
	struct heed_http_resp resp;
	struct heed_buf reply;
	struct heed_err err;
	struct heed_http *h;
	struct server s;
	char *url;
	(void)state;

	/* 199 headers + Content-Length = 200: the most allowed */
	heed_buf_init(&reply, 0);
	assert_int_equal(heed_buf_adds(&reply, "HTTP/1.1 200 OK\r\n"), HEED_OK);
	for (int i = 0; i < 199; i++)
		assert_int_equal(heed_buf_addf(&reply, "X-H-%d: v%d\r\n", i, i),
				 HEED_OK);
	assert_int_equal(heed_buf_adds(&reply, "Content-Length: 0\r\n\r\n"),
			 HEED_OK);
	server_start(&s, REPLY_CANNED, heed_buf_str(&reply),
		     heed_buf_len(&reply));
	h = client(0, 0);
	url = url_for(&s, "/h");
	heed_http_resp_init(&resp);
	assert_int_equal(heed_http_get(h, url, NULL, &resp, &err), HEED_OK);
	assert_int_equal(heed_http_resp_header_count(&resp), 200);
	assert_string_equal(heed_http_resp_header(&resp, "x-h-198"), "v198");
	server_stop(&s);
	free(url);

	/* one more is refused */
	heed_buf_reset(&reply);
	assert_int_equal(heed_buf_adds(&reply, "HTTP/1.1 200 OK\r\n"), HEED_OK);
	for (int i = 0; i < 200; i++)
		assert_int_equal(heed_buf_addf(&reply, "X-H-%d: v\r\n", i),
				 HEED_OK);
	assert_int_equal(heed_buf_adds(&reply, "Content-Length: 0\r\n\r\n"),
			 HEED_OK);
	server_start(&s, REPLY_CANNED, heed_buf_str(&reply),
		     heed_buf_len(&reply));
	url = url_for(&s, "/h");
	heed_err_clear(&err);
	assert_int_equal(heed_http_get(h, url, NULL, &resp, &err),
			 HEED_ETOOBIG);
	assert_non_null(strstr(err.msg, "more than 200 headers"));
	assert_true(heed_http_resp_header_count(&resp) <= 200);
	server_stop(&s);
	free(url);

	/* and so is one line over 8 KiB */
	heed_buf_reset(&reply);
	assert_int_equal(heed_buf_adds(&reply, "HTTP/1.1 200 OK\r\nX-Long: "),
			 HEED_OK);
	for (int i = 0; i < 8200; i++)
		assert_int_equal(heed_buf_addc(&reply, 'L'), HEED_OK);
	assert_int_equal(heed_buf_adds(&reply, "\r\nContent-Length: 0\r\n\r\n"),
			 HEED_OK);
	server_start(&s, REPLY_CANNED, heed_buf_str(&reply),
		     heed_buf_len(&reply));
	url = url_for(&s, "/h");
	heed_err_clear(&err);
	assert_int_equal(heed_http_get(h, url, NULL, &resp, &err),
			 HEED_ETOOBIG);
	assert_non_null(strstr(err.msg, "header line is over 8192 bytes"));
	assert_null(heed_http_resp_header(&resp, "x-long"));
	server_stop(&s);

	heed_http_resp_release(&resp);
	heed_buf_release(&reply);
	free(url);
	heed_http_free(h);
}

/* ---- failures --------------------------------------------------------- */

static void silent_server_times_out(void **state)
{
	struct heed_http_resp resp;
	struct heed_err err;
	struct heed_http *h;
	struct server s;
	int64_t t0, took;
	char *url;
	(void)state;

	server_start_str(&s, REPLY_SILENT, "");
	h = client(0, 200);
	url = url_for(&s, "/quiet");
	heed_http_resp_init(&resp);
	heed_err_clear(&err);
	t0 = heed_time_mono_ms();
	assert_int_equal(heed_http_get(h, url, NULL, &resp, &err),
			 HEED_ETIMEOUT);
	took = heed_time_mono_ms() - t0;
	assert_true(took >= 150 && took < 2000);
	assert_int_equal(err.code, HEED_ETIMEOUT);
	assert_true(heed_err_is_retryable(err.code));
	assert_non_null(strstr(err.msg, "timed out after"));
	assert_int_equal(resp.status, 0);
	assert_true(resp.total_ms >= 150);
	heed_http_resp_release(&resp);
	free(url);
	heed_http_free(h);
	server_stop(&s);
}

/* The handle allows 5 s; the request's own 300 ms limit must win. */
static void slow_body_times_out_with_request_override(void **state)
{
	struct heed_http_req req = { .method = HEED_HTTP_GET,
				     .timeout_ms = 300 };
	struct heed_http_resp resp;
	struct heed_err err;
	struct heed_http *h;
	struct server s;
	int64_t t0, took;
	char *url;
	(void)state;

	server_start_str(&s, REPLY_DRIP,
			 "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
	h = client(0, 5000);
	url = url_for(&s, "/drip");
	req.url = url;
	heed_http_resp_init(&resp);
	heed_err_clear(&err);
	t0 = heed_time_mono_ms();
	assert_int_equal(heed_http_perform(h, &req, &resp, &err),
			 HEED_ETIMEOUT);
	took = heed_time_mono_ms() - t0;
	assert_true(took >= 250 && took < 2500);
	assert_true(heed_err_is_retryable(err.code));
	assert_int_equal(resp.status, 200);
	assert_true(heed_buf_len(&resp.body) > 0);	/* it was arriving */
	assert_true(heed_buf_len(&resp.body) < 100000);
	heed_http_resp_release(&resp);
	free(url);
	heed_http_free(h);
	server_stop(&s);
}

/* A port with a socket bound to it but not listening: the kernel answers
 * with a reset, and holding the socket keeps anyone else off the port. */
static int refusing_port(int *fd)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(*fd >= 0);
	assert_int_equal(bind(*fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&sa, &salen), 0);
	return ntohs(sa.sin_port);
}

static void refused_connection_is_econnect(void **state)
{
	struct heed_http_resp resp;
	struct heed_err err;
	struct heed_http *h;
	char url[64];
	int fd;
	(void)state;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", refusing_port(&fd));
	h = client(0, 300);
	heed_http_resp_init(&resp);
	heed_err_clear(&err);
	assert_int_equal(heed_http_get(h, url, NULL, &resp, &err),
			 HEED_ECONNECT);
	assert_int_equal(err.code, HEED_ECONNECT);
	assert_true(heed_err_is_retryable(err.code));
	assert_non_null(strstr(err.msg, "cannot connect"));
	assert_int_equal(resp.status, 0);
	close(fd);
	heed_http_resp_release(&resp);
	heed_http_free(h);
}

static void status_codes_map_onto_heed_codes(void **state)
{
	static const struct {
		const char *reply;
		long status;
		int code;
	} cases[] = {
		{ "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\n"
		  "Content-Length: 0\r\n\r\n", 429, HEED_ERATELIMIT },
		{ "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n"
		  "\r\ndown", 503, HEED_EHTTP5 },
		{ "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n",
		  401, HEED_EAUTH },
		{ "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 404,
		  HEED_EHTTP },
	};
	struct heed_http_resp resp;
	struct heed_err err;
	struct heed_http *h = client(0, 0);
	(void)state;

	/* a completed exchange is HEED_OK whatever the status */
	heed_http_resp_init(&resp);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct server s;
		char *url;

		server_start_str(&s, REPLY_CANNED, cases[i].reply);
		url = url_for(&s, "/s");
		assert_int_equal(heed_http_get(h, url, NULL, &resp, &err),
				 HEED_OK);
		assert_int_equal(resp.status, cases[i].status);
		assert_int_equal(heed_http_status_code(resp.status),
				 cases[i].code);
		if (resp.status == 429)
			assert_string_equal(heed_http_resp_header(&resp,
						"retry-after"), "30");
		if (resp.status == 503)
			assert_string_equal(heed_buf_str(&resp.body), "down");
		server_stop(&s);
		free(url);
	}
	heed_http_resp_release(&resp);
	heed_http_free(h);

	assert_int_equal(heed_http_status_code(200), HEED_OK);
	assert_int_equal(heed_http_status_code(204), HEED_OK);
	assert_int_equal(heed_http_status_code(299), HEED_OK);
	assert_int_equal(heed_http_status_code(403), HEED_EAUTH);
	assert_int_equal(heed_http_status_code(400), HEED_EHTTP);
	assert_int_equal(heed_http_status_code(499), HEED_EHTTP);
	assert_int_equal(heed_http_status_code(500), HEED_EHTTP5);
	assert_int_equal(heed_http_status_code(599), HEED_EHTTP5);
	assert_int_equal(heed_http_status_code(302), HEED_EHTTP);
	assert_int_equal(heed_http_status_code(100), HEED_EHTTP);
	assert_int_equal(heed_http_status_code(0), HEED_EHTTP);
	assert_int_equal(heed_http_status_code(600), HEED_EHTTP);
	assert_true(heed_err_is_retryable(heed_http_status_code(429)));
	assert_true(heed_err_is_retryable(heed_http_status_code(503)));
	assert_false(heed_err_is_retryable(heed_http_status_code(401)));
	assert_false(heed_err_is_retryable(heed_http_status_code(404)));
}

static void assert_no_secret(const struct heed_err *err)
{
	if (strstr(err->msg, "SECRET") || strstr(err->msg, "Bearer") ||
	    strstr(err->msg, "access_token"))
		fail_msg("secret in message: %s", err->msg);
	assert_non_null(strstr(err->msg, "127.0.0.1"));
	assert_non_null(strstr(err->msg, "/v1/search"));
}

static void errors_never_carry_secrets(void **state)
{
	const char *const headers[] = {
		"Authorization: Bearer BEARERSECRET123", NULL,
	};
	struct heed_http_req req = { .method = HEED_HTTP_GET,
				     .headers = headers };
	struct heed_http_resp resp;
	struct heed_err err;
	struct heed_http *h;
	struct server s;
	char *url, *got;
	size_t len;
	int fd, port;
	(void)state;

	h = client(0, 200);
	heed_http_resp_init(&resp);

	/* timeout, with the token in a header, the query and user info */
	server_start_str(&s, REPLY_SILENT, "");
	url = xasprintf("http://bot:PWSECRET@127.0.0.1:%d/v1/search"
			"?q=acme&access_token=QSECRET#FRAGSECRET", s.port);
	req.url = url;
	heed_err_clear(&err);
	assert_int_equal(heed_http_perform(h, &req, &resp, &err),
			 HEED_ETIMEOUT);
	assert_no_secret(&err);
	assert_non_null(strstr(err.msg, "?..."));
	got = server_last(&s, &len);	/* it was sent, just not echoed */
	assert_non_null(strstr(got, "Bearer BEARERSECRET123"));
	free(got);
	server_stop(&s);
	free(url);

	/* refused */
	port = refusing_port(&fd);
	url = xasprintf("http://127.0.0.1:%d/v1/search?access_token=QSECRET",
			port);
	req.url = url;
	heed_err_clear(&err);
	assert_int_equal(heed_http_perform(h, &req, &resp, &err),
			 HEED_ECONNECT);
	assert_no_secret(&err);

	/* a header line that tries to smuggle another header in */
	{
		const char *const evil[] = {
			"X-Note: a\r\nAuthorization: Bearer SECRETX", NULL,
		};

		req.headers = evil;
		heed_err_clear(&err);
		assert_int_equal(heed_http_perform(h, &req, &resp, &err),
				 HEED_EINVAL);
		assert_no_secret(&err);
		req.headers = headers;
	}
	free(url);

	/* a webhook whose path is the credential */
	url = xasprintf("http://127.0.0.1:%d/services/T0/B0/HOOKSECRET", port);
	req.url = url;
	req.secret_path = true;
	heed_err_clear(&err);
	assert_int_equal(heed_http_perform(h, &req, &resp, &err),
			 HEED_ECONNECT);
	assert_null(strstr(err.msg, "HOOKSECRET"));
	assert_null(strstr(err.msg, "services"));
	assert_non_null(strstr(err.msg, "'http://127.0.0.1:"));
	assert_non_null(strstr(err.msg, "/...'"));
	close(fd);
	free(url);
	heed_http_resp_release(&resp);
	heed_http_free(h);
}

static void only_http_and_https_and_no_redirects(void **state)
{
	static const char *const bad[] = {
		"ftp://127.0.0.1/x", "file:///etc/passwd",
		"gopher://127.0.0.1/", "dict://127.0.0.1:11211/stat",
		"not a url", "/relative/path", "",
	};
	static const char redirect[] =
		"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char to_ftp[] =
		"HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1/x\r\n"
		"Content-Length: 0\r\n\r\n";
	struct heed_http_opts o = { .timeout_ms = 1000, .max_redirects = 3 };
	struct heed_http_resp resp;
	struct heed_err err;
	struct heed_http *h = client(0, 0);
	struct heed_http_req req = { .method = HEED_HTTP_GET };
	struct server s;
	unsigned requests;
	char *url;
	(void)state;

	heed_http_resp_init(&resp);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		heed_err_clear(&err);
		if (heed_http_get(h, bad[i], NULL, &resp, &err) != HEED_EINVAL)
			fail_msg("'%s' was not refused", bad[i]);
	}
	heed_err_clear(&err);
	assert_int_equal(heed_http_perform(h, &req, &resp, &err), HEED_EINVAL);
	req.method = (enum heed_http_method)42;
	assert_int_equal(heed_http_perform(h, &req, &resp, &err), HEED_EINVAL);

	/* a redirect comes back as it is, not followed */
	server_start_str(&s, REPLY_CANNED, redirect);
	url = url_for(&s, "/start");
	assert_int_equal(heed_http_get(h, url, NULL, &resp, &err), HEED_OK);
	assert_int_equal(resp.status, 302);
	assert_int_equal(heed_http_status_code(resp.status), HEED_EHTTP);
	assert_string_equal(heed_http_resp_header(&resp, "location"),
			    "/elsewhere");
	server_count(&s, &requests);
	assert_int_equal(requests, 1);
	server_stop(&s);
	free(url);
	heed_http_free(h);

	/* when following is enabled, a redirect to ftp is still refused */
	h = heed_http_new(&o, &err);
	assert_non_null(h);
	server_start_str(&s, REPLY_CANNED, to_ftp);
	url = url_for(&s, "/start");
	heed_err_clear(&err);
	assert_int_equal(heed_http_get(h, url, NULL, &resp, &err), HEED_EINVAL);
	server_stop(&s);
	free(url);
	heed_http_resp_release(&resp);
	heed_http_free(h);
}

static void bad_options_and_headers_are_refused(void **state)
{
	struct heed_http_opts neg = { .timeout_ms = -1 };
	struct heed_http_opts crlf = { .user_agent = "x\r\nEvil: 1" };
	const char *const no_colon[] = { "JustAName", NULL };
	const char *const no_name[] = { ": value", NULL };
	struct heed_http_resp resp;
	struct heed_err err;
	struct heed_http *h;
	struct server s;
	unsigned requests;
	char *url;
	(void)state;

	heed_err_clear(&err);
	assert_null(heed_http_new(&neg, &err));
	assert_int_equal(err.code, HEED_EINVAL);
	assert_null(heed_http_new(&crlf, &err));
	assert_int_equal(err.code, HEED_EINVAL);
	h = heed_http_new(NULL, &err);	/* all defaults */
	assert_non_null(h);

	server_start_str(&s, REPLY_CANNED,
			 "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	url = url_for(&s, "/");
	heed_http_resp_init(&resp);
	assert_int_equal(heed_http_get(h, url, no_colon, &resp, &err),
			 HEED_EINVAL);
	assert_int_equal(heed_http_get(h, url, no_name, &resp, &err),
			 HEED_EINVAL);
	/* nothing reached the server */
	assert_int_equal(server_count(&s, &requests), 0);
	assert_int_equal(requests, 0);
	/* and the handle still works */
	assert_int_equal(heed_http_get(h, url, NULL, &resp, &err), HEED_OK);
	heed_http_resp_release(&resp);
	server_stop(&s);
	free(url);
	heed_http_free(h);
}

/* ---- URL helpers ------------------------------------------------------ */

static void escape_encodes_all_but_unreserved(void **state)
{
	const char *raw = "a b&c=d/é?#+%~-._";
	char *e;
	(void)state;

	e = heed_http_escape(raw, strlen(raw));
	assert_string_equal(e, "a%20b%26c%3Dd%2F%C3%A9%3F%23%2B%25~-._");
	free(e);
	e = heed_http_escape("x\0y", 3);	/* length, not NUL, ends it */
	assert_string_equal(e, "x%00y");
	free(e);
	e = heed_http_escape("", 0);
	assert_string_equal(e, "");
	free(e);
}

static void url_build_appends_escaped_params(void **state)
{
	const struct heed_http_param params[] = {
		{ "q", "brand name #fail" },
		{ "max_id", NULL },		/* left out */
		{ "lang", "en" },
		{ NULL },
	};
	const struct heed_http_param none[] = { { NULL } };
	struct heed_buf url;
	(void)state;

	heed_buf_init(&url, 0);
	assert_int_equal(heed_http_url_build(&url, "https://h/api/search",
					     params), HEED_OK);
	assert_string_equal(heed_buf_str(&url),
			    "https://h/api/search?q=brand%20name%20%23fail&lang=en");
	heed_buf_reset(&url);
	assert_int_equal(heed_http_url_build(&url, "https://h/s?raw_json=1",
					     params), HEED_OK);
	assert_string_equal(heed_buf_str(&url),
			    "https://h/s?raw_json=1&q=brand%20name%20%23fail&lang=en");
	heed_buf_reset(&url);
	assert_int_equal(heed_http_url_build(&url, "https://h/s?", params),
			 HEED_OK);
	assert_string_equal(heed_buf_str(&url),
			    "https://h/s?q=brand%20name%20%23fail&lang=en");
	heed_buf_reset(&url);
	assert_int_equal(heed_http_url_build(&url, "https://h/s", none),
			 HEED_OK);
	assert_string_equal(heed_buf_str(&url), "https://h/s");
	heed_buf_reset(&url);
	assert_int_equal(heed_http_url_build(&url, "https://h/s", NULL),
			 HEED_OK);
	assert_string_equal(heed_buf_str(&url), "https://h/s");

	/* a fragment in base is refused; url is left as it was */
	assert_int_equal(heed_http_url_build(&url, "https://h/s#x", params),
			 HEED_EINVAL);
	assert_string_equal(heed_buf_str(&url), "https://h/s");
	heed_buf_release(&url);

	/* over the cap: nothing half-written */
	heed_buf_init(&url, 30);
	assert_int_equal(heed_buf_adds(&url, "prefix:"), HEED_OK);
	assert_int_equal(heed_http_url_build(&url, "https://h/api/search",
					     params), HEED_ETOOBIG);
	assert_string_equal(heed_buf_str(&url), "prefix:");
	heed_buf_release(&url);
}

static void url_redact_keeps_only_host_and_path(void **state)
{
	char out[128], tiny[12];
	(void)state;

	assert_string_equal(heed_http_url_redact(out, sizeof(out),
			"https://u:pw@api.example.com:8443/v2/x?token=abc#f"),
			"https://api.example.com:8443/v2/x?...");
	assert_string_equal(heed_http_url_redact(out, sizeof(out),
			"http://example.com"), "http://example.com/");
	assert_string_equal(heed_http_url_redact(out, sizeof(out),
			"http://[::1]:80/a/b"), "http://[::1]:80/a/b");
	assert_string_equal(heed_http_url_redact(out, sizeof(out), "not a url"),
			    "(invalid URL)");
	assert_string_equal(heed_http_url_redact(out, sizeof(out), NULL),
			    "(invalid URL)");
	heed_http_url_redact(tiny, sizeof(tiny), "https://example.com/long");
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

static int group_setup(void **state)
{
	(void)state;
	return heed_http_global_init() == HEED_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	heed_http_global_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_captures_status_body_and_headers),
		cmocka_unit_test(handle_keeps_connection_alive),
		cmocka_unit_test(request_body_and_headers_arrive_as_sent),
		cmocka_unit_test(gzip_body_is_decoded),
		cmocka_unit_test(body_over_cap_with_length_is_refused),
		cmocka_unit_test(body_over_cap_streamed_is_cut_off),
		cmocka_unit_test(header_caps),
		cmocka_unit_test(silent_server_times_out),
		cmocka_unit_test(slow_body_times_out_with_request_override),
		cmocka_unit_test(refused_connection_is_econnect),
		cmocka_unit_test(status_codes_map_onto_heed_codes),
		cmocka_unit_test(errors_never_carry_secrets),
		cmocka_unit_test(only_http_and_https_and_no_redirects),
		cmocka_unit_test(bad_options_and_headers_are_refused),
		cmocka_unit_test(escape_encodes_all_but_unreserved),
		cmocka_unit_test(url_build_appends_escaped_params),
		cmocka_unit_test(url_redact_keeps_only_host_and_path),
	};
	return cmocka_run_group_tests_name("http", tests, group_setup,
					   group_teardown);
}

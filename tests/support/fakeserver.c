/* fakeserver.c: start, stop and query the fake social server from tests
 * (see fakeserver.h). */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "heed/xalloc.h"

#include "fakeserver.h"

const char *fakesrv_binary(void)
{
	static char path[512];
	const char *b = getenv("HEED_BUILD");

	snprintf(path, sizeof(path), "%s/tests/fakes/fakesocial",
		 b && *b ? b : "build");
	return path;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int rc = 0;

	if (!f)
		return -1;
	if (fputs(text, f) < 0)
		rc = -1;
	if (fclose(f))
		rc = -1;
	return rc;
}

/* The port once the file holds a whole line; 0 until then. */
static int read_port(const char *path)
{
	FILE *f = fopen(path, "r");
	int port = 0;
	char nl = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%d%c", &port, &nl) != 2 || nl != '\n')
		port = 0;
	fclose(f);
	return port;
}

int fakesrv_start(struct fakesrv *f, const char *timeline,
		  const char *const *args)
{
	const char *argv[64];
	char tlpath[160];
	const char *tmp = getenv("TMPDIR");
	size_t n = 0;
	double deadline;

	memset(f, 0, sizeof(*f));
	if (!tmp || !*tmp || strlen(tmp) > 40)
		tmp = "/tmp";
	snprintf(f->dir, sizeof(f->dir), "%s/heed-fake-XXXXXX", tmp);
	if (!mkdtemp(f->dir)) {
		f->dir[0] = '\0';
		return -1;
	}
	snprintf(f->portfile, sizeof(f->portfile), "%s/port", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/requests.jsonl", f->dir);
	argv[n++] = fakesrv_binary();
	argv[n++] = "--portfile";
	argv[n++] = f->portfile;
	argv[n++] = "--log";
	argv[n++] = f->log;
	if (timeline) {
		snprintf(tlpath, sizeof(tlpath), "%s/timeline.jsonl", f->dir);
		if (write_file(tlpath, timeline))
			return -1;
		argv[n++] = "--timeline";
		argv[n++] = tlpath;
	}
	for (size_t i = 0; args && args[i]; i++) {
		if (n == sizeof(argv) / sizeof(*argv) - 1)
			return -1;
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	fflush(NULL);
	f->pid = fork();
	if (f->pid < 0) {
		f->pid = 0;
		return -1;
	}
	if (f->pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (deadline = now_s() + 20; now_s() < deadline;) {
		struct timespec ts = { 0, 5 * 1000000L };
		int status;

		f->port = read_port(f->portfile);
		if (f->port > 0) {
			snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%d", f->port);
			return 0;
		}
		if (waitpid(f->pid, &status, WNOHANG) == f->pid) {
			f->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		}
		nanosleep(&ts, NULL);
	}
	return -1;
}

int fakesrv_stop(struct fakesrv *f)
{
	int status = 0, rc = 0;
	char cmd[200];

	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		if (waitpid(f->pid, &status, 0) != f->pid)
			rc = -1;
		else if (WIFEXITED(status))
			rc = WEXITSTATUS(status);
		else
			rc = 128 + WTERMSIG(status);
	}
	f->pid = 0;
	if (f->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "fakeserver: cannot remove %s\n", f->dir);
		f->dir[0] = '\0';
	}
	return rc;
}

static size_t on_data(char *p, size_t size, size_t n, void *cls)
{
	return heed_buf_add(cls, p, size * n) == HEED_OK ? size * n : 0;
}

void fakesrv_http(struct fakesrv_resp *r, const char *method, const char *url,
		  const char *const *hdrs, const char *body, long timeout_ms)
{
	CURL *c = curl_easy_init();
	struct curl_slist *list = NULL;

	heed_buf_init(&r->body, 0);
	heed_buf_init(&r->head, 0);
	r->json = NULL;
	r->status = 0;
	r->rc = CURLE_FAILED_INIT;
	if (!c)
		return;
	for (size_t i = 0; hdrs && hdrs[i]; i++)
		list = curl_slist_append(list, hdrs[i]);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->head);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms ? timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	r->rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	r->json = json_loadb(heed_buf_str(&r->body), heed_buf_len(&r->body), 0, NULL);
	curl_slist_free_all(list);
	curl_easy_cleanup(c);
}

void fakesrv_resp_release(struct fakesrv_resp *r)
{
	heed_buf_release(&r->body);
	heed_buf_release(&r->head);
	json_decref(r->json);
	r->json = NULL;
}

const char *fakesrv_header(const struct fakesrv_resp *r, const char *name,
			   char *out, size_t n)
{
	const char *p = heed_buf_str(&r->head);
	size_t len = strlen(name);

	out[0] = '\0';
	while (p && *p) {
		const char *eol = strstr(p, "\r\n");

		if (!strncasecmp(p, name, len) && p[len] == ':') {
			const char *v = p + len + 1;
			const char *end = eol ? eol : v + strlen(v);

			while (*v == ' ')
				v++;
			snprintf(out, n, "%.*s", (int)(end - v), v);
			return out;
		}
		p = eol ? eol + 2 : NULL;
	}
	return out;
}

long fakesrv_control(const struct fakesrv *f, const char *path,
		     const char *json)
{
	const char *h[] = { "Content-Type: application/json", NULL };
	struct fakesrv_resp r;
	char url[256];
	long status;

	snprintf(url, sizeof(url), "%s%s", f->base, path);
	fakesrv_http(&r, "POST", url, h, json, 0);
	status = r.status;
	fakesrv_resp_release(&r);
	return status;
}

long fakesrv_log_mark(const struct fakesrv *f)
{
	struct fakesrv_resp r;
	char url[256];
	long n = -1;

	snprintf(url, sizeof(url), "%s/_fake/stats", f->base);
	fakesrv_http(&r, "GET", url, NULL, NULL, 0);
	if (r.json)
		n = (long)json_integer_value(json_object_get(r.json, "requests"));
	fakesrv_resp_release(&r);
	return n;
}

json_t *fakesrv_log_since(const struct fakesrv *f, long mark)
{
	struct fakesrv_resp r;
	char url[256];
	json_t *out = NULL;

	snprintf(url, sizeof(url), "%s/_fake/log?from=%ld", f->base, mark);
	fakesrv_http(&r, "GET", url, NULL, NULL, 0);
	if (r.status == 200) {
		const char *p = heed_buf_str(&r.body);

		out = json_array();
		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);
			json_t *line = json_loadb(p, len, 0, NULL);

			if (line)
				json_array_append_new(out, line);
			p += len + (nl ? 1 : 0);
		}
	}
	fakesrv_resp_release(&r);
	return out;
}

void fakesrv_get(const struct fakesrv *f, struct fakesrv_resp *r,
		 const char *auth, const char *fmt, ...)
{
	char url[4096], path[3900], hdr[2200];
	const char *hdrs[2] = { NULL, NULL };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	snprintf(url, sizeof(url), "%s%s", strncmp(path, "http", 4) ? f->base : "",
		 path);
	if (auth) {
		snprintf(hdr, sizeof(hdr), "Authorization: %s", auth);
		hdrs[0] = hdr;
	}
	fakesrv_http(r, "GET", url, hdrs, NULL, 0);
}

void fakesrv_post(const struct fakesrv *f, struct fakesrv_resp *r,
		  const char *path, const char *const *hdrs, const char *body)
{
	char url[4096];

	snprintf(url, sizeof(url), "%s%s", f->base, path);
	fakesrv_http(r, "POST", url, hdrs, body, 0);
}

char *fakesrv_native_id(const struct fakesrv *f, const char *platform,
			const char *id)
{
	struct fakesrv_resp r;
	char *out = NULL;
	size_t i;
	json_t *p;

	fakesrv_get(f, &r, NULL, "/_fake/posts?platform=%s", platform);
	json_array_foreach(r.json, i, p) {
		const char *k = json_string_value(json_object_get(p, "id"));
		const char *nat = json_string_value(json_object_get(p, "native"));

		if (k && nat && !strcmp(k, id)) {
			out = xstrdup(nat);
			break;
		}
	}
	fakesrv_resp_release(&r);
	return out;
}

static int login(const struct fakesrv *f, const char *path,
		 const char *const *hdrs, const char *body, const char *field,
		 char *out, size_t n)
{
	struct fakesrv_resp r;
	const char *tok;
	int rc = -1;

	fakesrv_post(f, &r, path, hdrs, body);
	tok = json_string_value(json_object_get(r.json, field));
	if (r.status == 200 && tok && strlen(tok) < n) {
		snprintf(out, n, "%s", tok);
		rc = 0;
	}
	fakesrv_resp_release(&r);
	return rc;
}

int fakesrv_bluesky_login(const struct fakesrv *f, char *out, size_t n)
{
	const char *h[] = { "Content-Type: application/json", NULL };

	return login(f, "/xrpc/com.atproto.server.createSession", h,
		     "{\"identifier\":\"acme.bsky.social\",\"password\":\"app-pw\"}",
		     "accessJwt", out, n);
}

int fakesrv_reddit_login(const struct fakesrv *f, char *out, size_t n)
{
	const char *h[] = { "Authorization: Basic Y2xpZW50OnNlY3JldA==",
			    "Content-Type: application/x-www-form-urlencoded",
			    NULL };

	return login(f, "/api/v1/access_token", h,
		     "grant_type=password&username=acme&password=pw",
		     "access_token", out, n);
}

/* fakesocial.c: the fake social platform server for integration tests and
 * benchmarks: binds 127.0.0.1 on an ephemeral port, writes it to --portfile
 * once serving, and answers Mastodon, Bluesky, Reddit, X and HN endpoints
 * from a scripted timeline (tests/fakes/fake/). This file is the HTTP layer
 * (libmicrohttpd, one thread per connection) and the command line. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "heed/err.h"
#include "heed/xalloc.h"

#include "fake/fake.h"

#define MAX_BODY (64u << 20)	/* POST bodies beyond this get 413 */

static const char usage[] =
"usage: fakesocial --portfile FILE --log FILE.jsonl [options]\n"
"\n"
"Fake Mastodon, Bluesky, Reddit, X and Hacker News APIs for tests. Binds\n"
"127.0.0.1 on an ephemeral port and writes the port to FILE (atomically,\n"
"once connections are accepted). Runs until SIGTERM or SIGINT.\n"
"\n"
"options:\n"
"  --portfile FILE        where to write the port (required)\n"
"  --log FILE             request log, one JSON object per line (required)\n"
"  --timeline FILE        JSONL posts to serve (see POST /_fake/posts)\n"
"  --seed N               seed for probabilistic faults (default 1)\n"
"  --ratelimit-shape [P=]SHAPE\n"
"                         rate-limit header shape for platform P or all:\n"
"                         default, none, iso, epoch, delta, float, comma-pair\n"
"  --budget [P=]N         requests per window (0 = unlimited)\n"
"  --window [P=]SECONDS   window length; windows align to the epoch\n"
"  --faults FILE          JSON list of fault rules loaded at startup\n"
"  --brand HANDLE         the brand's account on every platform (acme)\n"
"  --epoch T              epoch ms or ISO time of timeline second 0\n"
"                         (default: server start)\n"
"  --time-scale F         timeline seconds per real second (default 1)\n"
"  --help                 this text\n"
"\n"
"Platforms P: mastodon, bluesky, reddit, x, hn; bluesky-session and\n"
"bluesky-session-day are createSession's own limits. Flags may repeat.\n"
"Control endpoints live under /_fake/ (posts, faults, ratelimit, clock,\n"
"config, expire, log, stats, replies, health).\n";

static double real_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep ms milliseconds in small steps, giving up when the server stops. */
static void nap(struct fake_server *s, unsigned ms)
{
	while (ms && !s->stopping) {
		unsigned step = ms < 10 ? ms : 10;
		struct timespec ts = { 0, (long)step * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* ---- request parsing ---- */

struct kv_list {
	struct fake_kv *v;
	size_t n;
};

static void kv_add(struct kv_list *l, const char *k, size_t klen, const char *v,
		   size_t vlen)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n].key = xstrndup(k, klen);
	l->v[l->n].val = v ? xstrndup(v, vlen) : NULL;
	l->n++;
}

static void kv_free(struct kv_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].val);
	}
	free(l->v);
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind,
				   const char *key, const char *value)
{
	(void)kind;
	kv_add(cls, key, strlen(key), value, value ? strlen(value) : 0);
	return MHD_YES;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode one urlencoded component in place ('+' is a space). */
static void url_decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '+') {
			*o++ = ' ';
		} else if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static void parse_form(struct kv_list *l, const char *body, size_t len)
{
	const char *p = body, *end = body + len;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));

		if (stop > p) {
			kv_add(l, p, (size_t)((eq ? eq : stop) - p), eq ? eq + 1 : "",
			       eq ? (size_t)(stop - eq - 1) : 0);
			url_decode(l->v[l->n - 1].key);
			url_decode(l->v[l->n - 1].val);
		}
		p = stop + 1;
	}
}

/* ---- responses ---- */

struct stream {
	struct fake_server *s;
	char *data;
	size_t len;		/* bytes we have */
	size_t stop;		/* close the connection after this many (0 = no) */
	unsigned trickle_ms;
	size_t chunk;
	size_t oversize;	/* > 0: generate this much padding JSON */
};

static const char pad_head[] = "{\"padding\":\"";

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	size_t n, limit;

	if (st->s->stopping)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (st->oversize) {
		size_t head = sizeof(pad_head) - 1;

		if (pos >= st->oversize)
			return MHD_CONTENT_READER_END_OF_STREAM;
		n = st->oversize - (size_t)pos < max ? st->oversize - (size_t)pos : max;
		for (size_t i = 0; i < n; i++) {
			size_t at = (size_t)pos + i;

			buf[i] = at < head ? pad_head[at] :
				 at == st->oversize - 2 ? '"' :
				 at == st->oversize - 1 ? '}' : 'a';
		}
		return (ssize_t)n;
	}
	limit = st->stop ? st->stop : st->len;
	if (pos >= limit)
		return st->stop ? MHD_CONTENT_READER_END_WITH_ERROR
				: MHD_CONTENT_READER_END_OF_STREAM;
	n = limit - (size_t)pos;
	if (n > max)
		n = max;
	if (st->trickle_ms) {
		if (n > st->chunk)
			n = st->chunk;
		nap(st->s, st->trickle_ms);
		if (st->s->stopping)
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	memcpy(buf, st->data + pos, n);
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;

	free(st->data);
	free(st);
}

static struct MHD_Response *make_response(struct fake_server *s,
					  struct fake_resp *rs)
{
	struct MHD_Response *r;
	size_t len;
	char *body;

	fake_resp_flush(rs);
	if (rs->oversize || rs->trickle_ms || rs->cut_at) {
		struct stream *st = xcalloc(1, sizeof(*st));

		st->s = s;
		st->data = heed_buf_detach(&rs->body, &st->len);
		st->stop = rs->cut_at;
		st->trickle_ms = rs->trickle_ms;
		st->chunk = rs->trickle_bytes ? rs->trickle_bytes : 16;
		st->oversize = rs->oversize < sizeof(pad_head) + 2 && rs->oversize ?
			       sizeof(pad_head) + 2 : rs->oversize;
		r = MHD_create_response_from_callback(st->oversize ? st->oversize : st->len,
						      st->trickle_ms ? st->chunk : 64 * 1024,
						      stream_read, st, stream_free);
		if (!r)
			stream_free(st);
		return r;
	}
	body = heed_buf_detach(&rs->body, &len);
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r)
		free(body);
	return r;
}

/* ---- the access handler ---- */

struct upload {
	struct heed_buf body;
	bool too_big;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct fake_server *s = cls;
	struct upload *up = *con_cls;
	struct kv_list args = { NULL, 0 }, form = { NULL, 0 };
	struct fake_req rq;
	struct fake_resp rs;
	struct MHD_Response *resp;
	enum MHD_Result ret = MHD_NO;
	const char *body;
	size_t body_len;

	(void)version;
	if (!up) {
		up = xcalloc(1, sizeof(*up));
		heed_buf_init(&up->body, MAX_BODY);
		*con_cls = up;
		return MHD_YES;
	}
	if (*data_size) {
		if (heed_buf_add(&up->body, data, *data_size) != HEED_OK)
			up->too_big = true;
		*data_size = 0;
		return MHD_YES;
	}
	memset(&rq, 0, sizeof(rq));
	fake_resp_init(&rs);
	rq.now = real_now();
	rq.method = method;
	rq.path = url;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &args);
	rq.args = args.v;
	rq.nargs = args.n;
	rq.auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	rq.idem_key = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						  "Idempotency-Key");
	rq.ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	rq.host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	if (!rq.host)
		rq.host = "127.0.0.1";
	body = heed_buf_str(&up->body);
	body_len = heed_buf_len(&up->body);
	rq.body = body;
	rq.body_len = body_len;
	if (up->too_big) {
		fake_resp_json(&rs, 413, json_pack("{s:s}", "error", "body too large"));
		goto out_send;
	}
	if (rq.ctype && fake_strcaseprefix(rq.ctype, "application/x-www-form-urlencoded"))
		parse_form(&form, body, body_len);
	else if (body_len && (body[0] == '{' || body[0] == '['))
		rq.json = json_loadb(body, body_len, 0, NULL);
	rq.form = form.v;
	rq.nform = form.n;
	fake_serve(s, &rq, &rs);
	if (rs.drop)
		goto out_release;	/* MHD_NO: close without a reply */
	nap(s, rs.delay_ms);
	if (s->stopping)
		goto out_release;
out_send:
	resp = make_response(s, &rs);
	if (!resp)
		goto out_release;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rs.ctype);
	for (size_t i = 0; i < rs.nhdrs; i++)
		MHD_add_response_header(resp, rs.hdr_names[i], rs.hdr_vals[i]);
	ret = MHD_queue_response(c, rs.status, resp);
	MHD_destroy_response(resp);
out_release:
	json_decref(rq.json);
	kv_free(&args);
	kv_free(&form);
	fake_resp_release(&rs);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!up)
		return;
	heed_buf_release(&up->body);
	free(up);
	*con_cls = NULL;
}

/* ---- command line ---- */

struct opts {
	const char *portfile;
	const char *log;
	const char *timeline;
	const char *faults;
	const char *brand;
	const char *epoch;
	double time_scale;
	unsigned long long seed;
};

static int die(const char *fmt, ...) HEED_PRINTF(1, 2);

/* A startup error: one line on stderr; returns the exit status 2. */
static int die(const char *fmt, ...)
{
	va_list ap;

	fputs("fakesocial: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static bool parse_num(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return !errno && end != s && !*end;
}

/* "[platform=]value" for --budget, --window and --ratelimit-shape. */
static int rate_flag(struct fake_server *s, const char *flag, const char *arg)
{
	const char *eq = strchr(arg, '=');
	int platform = FAKE_NOPLATFORM, bucket = FAKE_B_NONE, shape = -1;
	const char *val = eq ? eq + 1 : arg;
	long budget = -1, window = -1;
	double v;

	if (eq) {
		char name[32];

		snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
		platform = fake_platform_parse(name);
		bucket = fake_bucket_parse(name);
		if (platform == FAKE_NOPLATFORM && bucket == FAKE_B_NONE)
			return die("unknown platform in '%s'", arg);
	}
	if (!strcmp(flag, "--ratelimit-shape")) {
		shape = fake_shape_parse(val);
		if (shape < 0)
			return die("unknown rate-limit shape '%s'", val);
	} else if (!parse_num(val, &v) || v < 0 || v > 1e9 || v != floor(v)) {
		return die("'%s' is not a whole number", val);
	} else if (!strcmp(flag, "--budget")) {
		budget = (long)v;
	} else if (v < 1) {
		return die("window must be at least 1 second, got '%s'", val);
	} else {
		window = (long)v;
	}
	if (bucket != FAKE_B_NONE)
		fake_rate_set_bucket(s, bucket, budget, window, shape, false);
	else
		fake_rate_set(s, platform, budget, window, shape, false);
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o,
		      struct fake_server *s)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return -1;
		}
		if (!v)
			return die("option '%s' needs a value (see --help)", a);
		i++;
		if (!strcmp(a, "--portfile")) {
			o->portfile = v;
		} else if (!strcmp(a, "--log")) {
			o->log = v;
		} else if (!strcmp(a, "--timeline")) {
			o->timeline = v;
		} else if (!strcmp(a, "--faults")) {
			o->faults = v;
		} else if (!strcmp(a, "--brand")) {
			o->brand = v;
		} else if (!strcmp(a, "--epoch")) {
			o->epoch = v;
		} else if (!strcmp(a, "--seed")) {
			char *end;

			errno = 0;
			o->seed = strtoull(v, &end, 10);
			if (errno || *end || end == v)
				return die("bad --seed '%s'", v);
		} else if (!strcmp(a, "--time-scale")) {
			if (!parse_num(v, &o->time_scale) || o->time_scale < 0)
				return die("bad --time-scale '%s'", v);
		} else if (!strcmp(a, "--ratelimit-shape") || !strcmp(a, "--budget") ||
			   !strcmp(a, "--window")) {
			rc = rate_flag(s, a, v);
			if (rc)
				return rc;
		} else {
			return die("unknown option '%s' (see --help)", a);
		}
	}
	if (!o->portfile || !o->log)
		return die("%s", "--portfile and --log are required (see --help)");
	return 0;
}

static int load_faults(struct fake_server *s, const char *path)
{
	json_error_t jerr;
	json_t *rules = json_load_file(path, 0, &jerr);
	struct heed_err err;
	size_t i;
	json_t *r;

	if (!json_is_array(rules)) {
		fprintf(stderr, "fakesocial: %s:%d: %s\n", path, jerr.line,
			rules ? "not a JSON list of fault rules" : jerr.text);
		json_decref(rules);
		return 2;
	}
	json_array_foreach(rules, i, r) {
		struct fake_fault *f = fake_fault_parse(r, &err);

		if (!f) {
			fprintf(stderr, "fakesocial: %s: rule %zu: %s\n", path, i,
				heed_err_msg(&err));
			json_decref(rules);
			return 2;
		}
		f->id = s->next_fault_id++;
		s->faults = xreallocarray(s->faults, s->nfaults + 1, sizeof(*s->faults));
		s->faults[s->nfaults++] = f;
	}
	json_decref(rules);
	return 0;
}

/* Write the port to path.tmp.PID, then rename: readers see all or nothing. */
static int write_portfile(const char *path, unsigned port)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	int rc = 0;

	if (!f || fprintf(f, "%u\n", port) < 0 || fflush(f) || fsync(fileno(f))) {
		rc = -1;
	}
	if (f && fclose(f))
		rc = -1;
	if (!rc && rename(tmp, path))
		rc = -1;
	if (rc) {
		fprintf(stderr, "fakesocial: cannot write port file '%s': %s\n", path,
			strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

static int apply_opts(struct fake_server *s, const struct opts *o)
{
	struct heed_err err;

	if (o->brand) {
		if (strlen(o->brand) >= sizeof(s->cfg.brand) || !*o->brand)
			return die("bad --brand '%s'", o->brand);
		snprintf(s->cfg.brand, sizeof(s->cfg.brand), "%s", o->brand);
	}
	if (o->epoch) {
		double v;
		int64_t ms = parse_num(o->epoch, &v) ? (int64_t)v : fake_parse_iso(o->epoch);

		if (ms < 0)
			return die("bad --epoch '%s'", o->epoch);
		s->store.epoch_ms = ms;
	}
	s->time_scale = o->time_scale;
	s->rng = o->seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
	if (o->timeline && fake_store_load_file(&s->store, o->timeline, &err)) {
		fprintf(stderr, "fakesocial: %s\n", heed_err_msg(&err));
		return 2;
	}
	fake_server_warm(s);
	if (o->faults && load_faults(s, o->faults))
		return 2;
	if (fake_server_open_log(s, o->log, &err)) {
		fprintf(stderr, "fakesocial: %s\n", heed_err_msg(&err));
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct fake_server s;
	struct opts o = { .time_scale = 1, .seed = 1 };
	struct sockaddr_in addr;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	sigset_t set;
	int rc, sig;

	json_object_seed(0);
	fake_server_init(&s, real_now());
	rc = parse_args(argc, argv, &o, &s);
	if (rc) {
		rc = rc < 0 ? 0 : rc;	/* --help */
		goto out_release;
	}
	rc = apply_opts(&s, &o);
	if (rc)
		goto out_release;

	/* Signals go to sigwait() below, never to the server's threads. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = 0;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
			     MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			     MHD_USE_ERROR_LOG,
			     0, NULL, NULL, on_request, &s,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4000,
			     MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "fakesocial: cannot listen on 127.0.0.1\n");
		rc = 1;
		goto out_release;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || !info->port || write_portfile(o.portfile, info->port)) {
		rc = 1;
		goto out_stop;
	}
	fprintf(stderr, "fakesocial: listening on 127.0.0.1:%u\n", info->port);
	while (sigwait(&set, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
		;
	rc = 0;
out_stop:
	s.stopping = 1;
	MHD_stop_daemon(d);
out_release:
	fake_server_release(&s);
	return rc;
}

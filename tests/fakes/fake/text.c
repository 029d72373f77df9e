/* text.c: the encodings the fake server speaks: timestamps, base-36 and
 * base-32 ids, UTF-8 checks, entities, and the HTML that Mastodon and Hacker
 * News put where other platforms put plain text. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

#include "heed/xalloc.h"

#include "fake.h"

void fake_buf_add(struct heed_buf *b, const char *s, size_t len)
{
	if (heed_buf_add(b, s, len) != HEED_OK)
		abort();	/* fake buffers have no cap */
}

void fake_buf_adds(struct heed_buf *b, const char *s)
{
	fake_buf_add(b, s, strlen(s));
}

void fake_buf_addf(struct heed_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = heed_buf_vaddf(b, fmt, ap);
	va_end(ap);
	if (rc != HEED_OK)
		abort();
}

/* FNV-1a, 64 bit. */
uint64_t fake_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void split_ms(int64_t ms, struct tm *tm, int *frac)
{
	time_t secs;
	int64_t rem = ms % 1000;

	if (rem < 0)
		rem += 1000;
	secs = (time_t)((ms - rem) / 1000);
	gmtime_r(&secs, tm);
	*frac = (int)rem;
}

void fake_iso_ms(char *out, size_t n, int64_t ms)
{
	struct tm tm;
	char date[32];
	int frac;

	split_ms(ms, &tm, &frac);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%03dZ", date, frac);
}

void fake_iso_s(char *out, size_t n, int64_t ms)
{
	struct tm tm;
	int frac;

	split_ms(ms, &tm, &frac);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void fake_iso_us(char *out, size_t n, double t)
{
	int64_t us = (int64_t)(t * 1e6 + 0.5);
	int64_t rem = us % 1000000;
	time_t secs;
	struct tm tm;
	char date[32];

	if (rem < 0)
		rem += 1000000;
	secs = (time_t)((us - rem) / 1000000);
	gmtime_r(&secs, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%06lldZ", date, (long long)rem);
}

static bool digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int64_t fake_parse_iso(const char *s)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om;
	int64_t ms = 0, off = 0, t;
	const char *p;

	if (strlen(s) < 10 || !digits(s, 4, &y) || s[4] != '-' ||
	    !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d))
		return -1;
	p = s + 10;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (strlen(p) < 9 || !digits(p + 1, 2, &h) || p[3] != ':' ||
		    !digits(p + 4, 2, &mi) || p[6] != ':' ||
		    !digits(p + 7, 2, &sec))
			return -1;
		p += 9;
		if (*p == '.') {
			int64_t scale = 100;

			p++;
			if (!isdigit((unsigned char)*p))
				return -1;
			for (; isdigit((unsigned char)*p); p++) {
				ms += (*p - '0') * scale;
				scale /= 10;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			if (strlen(p) < 6 || !digits(p + 1, 2, &oh) ||
			    p[3] != ':' || !digits(p + 4, 2, &om))
				return -1;
			off = (oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
			p += 6;
		}
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (int64_t)timegm(&tm);
	return (t - off) * 1000 + ms;
}

char *fake_base36(uint64_t v)
{
	static const char digs[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char tmp[16];
	size_t n = 0;
	char *out;

	do {
		tmp[n++] = digs[v % 36];
		v /= 36;
	} while (v);
	out = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return out;
}

bool fake_parse_base36(const char *s, int64_t *out)
{
	uint64_t v = 0;

	if (!*s || strlen(s) > 12)
		return false;
	for (; *s; s++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'z')
			d = *s - 'a' + 10;
		else
			return false;
		v = v * 36 + (uint64_t)d;
	}
	*out = (int64_t)v;
	return true;
}

/* A decimal id that fits in 63 bits, without sign or leading zeros. */
bool fake_parse_u63(const char *s, int64_t *out)
{
	uint64_t v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 19 || (s[0] == '0' && n > 1))
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return false;
	*out = (int64_t)v;
	return true;
}

char *fake_base64url(const void *p, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *in = p;
	char *out = xmalloc(len * 4 / 3 + 4);
	size_t o = 0, i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		if (i + 1 < len)
			out[o++] = tab[v >> 6 & 63];
	}
	out[o] = '\0';
	return out;
}

bool fake_utf8_valid(const char *s, size_t len)
{
	utf8proc_ssize_t i = 0, n = (utf8proc_ssize_t)len;

	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      n - i, &cp);

		if (k <= 0 || cp == 0)
			return false;
		i += k;
	}
	return true;
}

char *fake_utf8_sanitize(const char *s, size_t len)
{
	char *out = xmalloc(len + 1);
	utf8proc_ssize_t i = 0, n = (utf8proc_ssize_t)len;
	size_t o = 0;

	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      n - i, &cp);

		if (k <= 0 || cp == 0) {
			out[o++] = '?';
			i++;
			continue;
		}
		memcpy(out + o, s + i, (size_t)k);
		o += (size_t)k;
		i += k;
	}
	out[o] = '\0';
	return out;
}

size_t fake_codepoints(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

size_t fake_graphemes(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t n = (utf8proc_ssize_t)strlen(s), i = 0;
	utf8proc_int32_t prev = -1, state = 0;
	size_t count = 0;

	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(p + i, n - i, &cp);

		if (k <= 0) {
			count++;
			i++;
			prev = -1;
			continue;
		}
		if (prev < 0 || utf8proc_grapheme_break_stateful(prev, cp, &state))
			count++;
		prev = cp;
		i += k;
	}
	return count;
}

char *fake_escape_amp_lt_gt(const char *s)
{
	struct heed_buf b;

	heed_buf_init(&b, 0);
	for (; *s; s++) {
		if (*s == '&')
			fake_buf_adds(&b, "&amp;");
		else if (*s == '<')
			fake_buf_adds(&b, "&lt;");
		else if (*s == '>')
			fake_buf_adds(&b, "&gt;");
		else
			fake_buf_add(&b, s, 1);
	}
	return heed_buf_detach(&b, NULL);
}

void fake_html_escape(struct heed_buf *b, const char *s, size_t len,
		      const char *apos)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '&': fake_buf_adds(b, "&amp;"); break;
		case '<': fake_buf_adds(b, "&lt;"); break;
		case '>': fake_buf_adds(b, "&gt;"); break;
		case '"': fake_buf_adds(b, "&quot;"); break;
		case '\'': fake_buf_adds(b, apos); break;
		default: fake_buf_add(b, s + i, 1); break;
		}
	}
}

char *fake_url_encode(const char *s)
{
	struct heed_buf b;

	heed_buf_init(&b, 0);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			fake_buf_add(&b, s, 1);
		else
			fake_buf_addf(&b, "%%%02X", c);
	}
	return heed_buf_detach(&b, NULL);
}

bool fake_strcaseprefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

bool fake_strcasestr(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

static bool word_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

static bool handle_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '-' || c == '@';
}

size_t fake_spans(const char *text, struct fake_span *out, size_t max)
{
	size_t n = 0, i = 0, len = strlen(text);

	while (i < len && n < max) {
		unsigned char prev = i ? (unsigned char)text[i - 1] : ' ';
		size_t j;

		if ((!strncmp(text + i, "https://", 8) ||
		     !strncmp(text + i, "http://", 7)) && !word_char(prev)) {
			for (j = i; j < len && !isspace((unsigned char)text[j]); j++)
				;
			while (j > i && strchr(".,;:!?)", text[j - 1]))
				j--;
			out[n++] = (struct fake_span){ FAKE_SPAN_LINK, i, j };
			i = j;
			continue;
		}
		if ((text[i] == '@' || text[i] == '#') && !word_char(prev) &&
		    prev != '@' && i + 1 < len &&
		    word_char((unsigned char)text[i + 1]) &&
		    (unsigned char)text[i + 1] < 0x80) {
			int kind = text[i] == '@' ? FAKE_SPAN_MENTION : FAKE_SPAN_TAG;

			for (j = i + 1; j < len; j++) {
				unsigned char c = (unsigned char)text[j];

				if (kind == FAKE_SPAN_MENTION ? !handle_char(c)
							      : !(isalnum(c) || c == '_'))
					break;
			}
			while (j > i + 1 && strchr(".-@", text[j - 1]))
				j--;
			out[n++] = (struct fake_span){ kind, i, j };
			i = j;
			continue;
		}
		i++;
	}
	return n;
}

/* One paragraph of Mastodon HTML: entities, <br />, and the <a>/<span>
 * markup Mastodon's formatter gives mentions, hashtags and links. */
static void mastodon_para(struct heed_buf *b, const char *p, size_t len,
			  const char *host)
{
	char *copy = xstrndup(p, len);
	struct fake_span sp[64];
	size_t n = fake_spans(copy, sp, 64), pos = 0;

	for (size_t k = 0; k <= n; k++) {
		size_t end = k < n ? sp[k].start : len;

		for (size_t i = pos; i < end; i++) {
			if (copy[i] == '\n')
				fake_buf_adds(b, "<br />");
			else
				fake_html_escape(b, copy + i, 1, "&#39;");
		}
		if (k == n)
			break;
		pos = sp[k].end;
		if (sp[k].kind == FAKE_SPAN_MENTION) {
			char *acct = xstrndup(copy + sp[k].start + 1,
					      sp[k].end - sp[k].start - 1);
			char *at = strchr(acct, '@');
			const char *user_host = at ? at + 1 : host;

			if (at)
				*at = '\0';
			fake_buf_addf(b, "<span class=\"h-card\" translate=\"no\">"
				      "<a href=\"https://%s/@%s\" class=\"u-url mention\">"
				      "@<span>%s</span></a></span>",
				      user_host, acct, acct);
			free(acct);
		} else if (sp[k].kind == FAKE_SPAN_TAG) {
			char *tag = xstrndup(copy + sp[k].start + 1,
					     sp[k].end - sp[k].start - 1);

			fake_buf_addf(b, "<a href=\"https://%s/tags/%s\" class=\"mention "
				      "hashtag\" rel=\"tag\">#<span>%s</span></a>",
				      host, tag, tag);
			free(tag);
		} else {
			const char *u = copy + sp[k].start;
			size_t ulen = sp[k].end - sp[k].start;
			size_t scheme = !strncmp(u, "https://", 8) ? 8 : 7;
			size_t shown = ulen - scheme > 30 ? 30 : ulen - scheme;

			fake_buf_adds(b, "<a href=\"");
			fake_html_escape(b, u, ulen, "&#39;");
			fake_buf_adds(b, "\" target=\"_blank\" rel=\"nofollow noopener "
				      "noreferrer\" translate=\"no\"><span class=\"invisible\">");
			fake_buf_add(b, u, scheme);
			fake_buf_addf(b, "</span><span class=\"%s\">",
				      shown < ulen - scheme ? "ellipsis" : "");
			fake_html_escape(b, u + scheme, shown, "&#39;");
			fake_buf_adds(b, "</span><span class=\"invisible\">");
			fake_html_escape(b, u + scheme + shown, ulen - scheme - shown,
					 "&#39;");
			fake_buf_adds(b, "</span></a>");
		}
	}
	free(copy);
}

char *fake_mastodon_html(const char *text, const char *host)
{
	struct heed_buf b;
	const char *p = text;

	heed_buf_init(&b, 0);
	for (;;) {
		const char *end = strstr(p, "\n\n");
		size_t len = end ? (size_t)(end - p) : strlen(p);

		fake_buf_adds(&b, "<p>");
		mastodon_para(&b, p, len, host);
		fake_buf_adds(&b, "</p>");
		if (!end)
			break;
		p = end + 2;
	}
	return heed_buf_detach(&b, NULL);
}

static void hn_escape(struct heed_buf *b, const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '/')
			fake_buf_adds(b, "&#x2F;");
		else
			fake_html_escape(b, p + i, 1, "&#x27;");
	}
}

/* HN's comment HTML: paragraphs after the first start with <p>, links are
 * <a rel="nofollow">, and quotes and slashes are entities. */
char *fake_hn_html(const char *text)
{
	struct heed_buf b;
	const char *p = text;
	bool first = true;

	heed_buf_init(&b, 0);
	for (;;) {
		const char *end = strstr(p, "\n\n");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *para = xstrndup(p, len);
		struct fake_span sp[64];
		size_t n = fake_spans(para, sp, 64), pos = 0;

		if (!first)
			fake_buf_adds(&b, "<p>");
		first = false;
		for (size_t k = 0; k <= n; k++) {
			size_t stop = k < n ? sp[k].start : len;

			hn_escape(&b, para + pos, stop - pos);
			if (k == n)
				break;
			pos = sp[k].start;
			if (sp[k].kind != FAKE_SPAN_LINK)
				continue;
			fake_buf_adds(&b, "<a href=\"");
			hn_escape(&b, para + sp[k].start, sp[k].end - sp[k].start);
			fake_buf_adds(&b, "\" rel=\"nofollow\">");
			hn_escape(&b, para + sp[k].start, sp[k].end - sp[k].start);
			fake_buf_adds(&b, "</a>");
			pos = sp[k].end;
		}
		free(para);
		if (!end)
			break;
		p = end + 2;
	}
	return heed_buf_detach(&b, NULL);
}

char *fake_cursor_encode(const char *tag, const struct fake_key *k)
{
	char plain[96];
	struct heed_buf b;

	snprintf(plain, sizeof(plain), "%s:%lld:%llu", tag, (long long)k->k1,
		 (unsigned long long)k->k2);
	heed_buf_init(&b, 0);
	for (const char *p = plain; *p; p++)
		fake_buf_addf(&b, "%02x", (unsigned char)*p ^ 0x5a);
	return heed_buf_detach(&b, NULL);
}

bool fake_cursor_decode(const char *tag, const char *cursor, struct fake_key *k)
{
	char plain[96];
	size_t n = strlen(cursor), tl = strlen(tag);
	long long k1;
	unsigned long long k2;
	char *end;

	if (n % 2 || n / 2 >= sizeof(plain))
		return false;
	for (size_t i = 0; i < n / 2; i++) {
		char hex[3] = { cursor[2 * i], cursor[2 * i + 1], '\0' };
		unsigned long v = strtoul(hex, &end, 16);

		if (*end || !isxdigit((unsigned char)hex[0]))
			return false;
		plain[i] = (char)(v ^ 0x5a);
	}
	plain[n / 2] = '\0';
	if (strncmp(plain, tag, tl) || plain[tl] != ':')
		return false;
	errno = 0;
	k1 = strtoll(plain + tl + 1, &end, 10);
	if (errno || *end != ':')
		return false;
	k2 = strtoull(end + 1, &end, 10);
	if (errno || *end)
		return false;
	k->k1 = k1;
	k->k2 = k2;
	return true;
}

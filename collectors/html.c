/* html.c: HTML and entities to plain text, and the UTF-8 sanitiser that
 * every adapter runs on what it keeps (see heed/html.h). No HTML parser
 * library: the platforms send small, sanitised fragments, and a tolerant
 * scanner that never fails is what a poller needs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "heed/html.h"
#include "heed/xalloc.h"

#define REPLACEMENT 0xFFFDu

/* A growable output string; xrealloc aborts on OOM. */
struct out {
	char *p;
	size_t len, alloc;
};

static void out_add(struct out *o, const void *s, size_t n)
{
	if (o->len + n + 1 > o->alloc) {
		size_t a = o->alloc ? o->alloc : 64;

		while (a < o->len + n + 1)
			a *= 2;
		o->p = xrealloc(o->p, a);
		o->alloc = a;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void out_addc(struct out *o, char c)
{
	out_add(o, &c, 1);
}

/* Write cp as UTF-8 into buf (4 bytes); returns the length. */
static size_t utf8_put(uint32_t cp, char *buf)
{
	if (cp < 0x80) {
		buf[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (char)(0xC0 | cp >> 6);
		buf[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = (char)(0xE0 | cp >> 12);
		buf[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		buf[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	buf[0] = (char)(0xF0 | cp >> 18);
	buf[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	buf[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	buf[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static void out_cp(struct out *o, uint32_t cp)
{
	char buf[4];

	out_add(o, buf, utf8_put(cp, buf));
}

/* ---- UTF-8 ------------------------------------------------------------ */

/* Decode the sequence at s (len > 0 bytes left). Returns its length with
 * *cp set, or 0 when it is ill-formed; then *skip is the length of its
 * maximal subpart (at least 1), to be replaced by one U+FFFD. */
static size_t utf8_get(const unsigned char *s, size_t len, uint32_t *cp,
		       size_t *skip)
{
	unsigned char b = s[0], lo = 0x80, hi = 0xBF;
	size_t need, i;
	uint32_t v;

	*skip = 1;
	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xC2 && b <= 0xDF) {
		need = 1;
		v = b & 0x1F;
	} else if (b >= 0xE0 && b <= 0xEF) {
		need = 2;
		v = b & 0x0F;
		lo = b == 0xE0 ? 0xA0 : 0x80;	/* no overlongs */
		hi = b == 0xED ? 0x9F : 0xBF;	/* no surrogates */
	} else if (b >= 0xF0 && b <= 0xF4) {
		need = 3;
		v = b & 0x07;
		lo = b == 0xF0 ? 0x90 : 0x80;
		hi = b == 0xF4 ? 0x8F : 0xBF;	/* nothing past U+10FFFF */
	} else {
		return 0;
	}
	for (i = 1; i <= need; i++) {
		unsigned char c = i < len ? s[i] : 0;

		if (i >= len || c < lo || c > hi) {
			*skip = i;
			return 0;
		}
		v = v << 6 | (c & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	return need + 1;
}

/* Characters that never reach storage: NUL, C0 but tab and newline, DEL,
 * C1. */
static bool dropped(uint32_t cp)
{
	if (cp < 0x20)
		return cp != '\t' && cp != '\n';
	return cp >= 0x7F && cp <= 0x9F;
}

bool heed_html_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, skip;
	uint32_t cp;

	while (i < len) {
		n = utf8_get(u + i, len - i, &cp, &skip);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

char *heed_html_clean(const char *s, size_t len, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, skip, cap = max ? max : SIZE_MAX;
	struct out o = { 0 };
	uint32_t cp;

	out_add(&o, "", 0);
	while (i < len) {
		char buf[4];
		size_t k;

		n = utf8_get(u + i, len - i, &cp, &skip);
		if (n) {
			i += n;
			if (dropped(cp))
				continue;
		} else {
			i += skip;
			cp = REPLACEMENT;
		}
		k = utf8_put(cp, buf);
		if (o.len + k > cap)
			break;
		out_add(&o, buf, k);
	}
	return o.p;
}

/* ---- entities --------------------------------------------------------- */

/* HTML 4's Latin-1 names, for U+00A0 to U+00FF in order. */
static const char *const latin1[96] = {
	"nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect",
	"uml", "copy", "ordf", "laquo", "not", "shy", "reg", "macr",
	"deg", "plusmn", "sup2", "sup3", "acute", "micro", "para", "middot",
	"cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
	"Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil",
	"Egrave", "Eacute", "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml",
	"ETH", "Ntilde", "Ograve", "Oacute", "Ocirc", "Otilde", "Ouml", "times",
	"Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute", "THORN", "szlig",
	"agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
	"egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml",
	"eth", "ntilde", "ograve", "oacute", "ocirc", "otilde", "ouml", "divide",
	"oslash", "ugrave", "uacute", "ucirc", "uuml", "yacute", "thorn", "yuml",
};

static const struct {
	const char *name;
	uint32_t cp;
} named[] = {
	{ "quot", 34 }, { "amp", 38 }, { "apos", 39 }, { "lt", 60 },
	{ "gt", 62 }, { "OElig", 338 }, { "oelig", 339 }, { "Scaron", 352 },
	{ "scaron", 353 }, { "Yuml", 376 }, { "fnof", 402 }, { "circ", 710 },
	{ "tilde", 732 }, { "ensp", 8194 }, { "emsp", 8195 },
	{ "thinsp", 8201 }, { "zwnj", 8204 }, { "zwj", 8205 }, { "lrm", 8206 },
	{ "rlm", 8207 }, { "ndash", 8211 }, { "mdash", 8212 },
	{ "lsquo", 8216 }, { "rsquo", 8217 }, { "sbquo", 8218 },
	{ "ldquo", 8220 }, { "rdquo", 8221 }, { "bdquo", 8222 },
	{ "dagger", 8224 }, { "Dagger", 8225 }, { "bull", 8226 },
	{ "hellip", 8230 }, { "permil", 8240 }, { "prime", 8242 },
	{ "Prime", 8243 }, { "lsaquo", 8249 }, { "rsaquo", 8250 },
	{ "oline", 8254 }, { "frasl", 8260 }, { "euro", 8364 },
	{ "trade", 8482 }, { "larr", 8592 }, { "uarr", 8593 }, { "rarr", 8594 },
	{ "darr", 8595 }, { "harr", 8596 }, { "minus", 8722 },
	{ "spades", 9824 }, { "clubs", 9827 }, { "hearts", 9829 },
	{ "diams", 9830 }, { "check", 10003 },
};

/* Windows-1252 for numeric references 128..159 (0: leave the C1 code). */
static const uint16_t cp1252[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static bool lookup_name(const char *name, size_t n, uint32_t *cp)
{
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strlen(named[i].name) == n && !memcmp(named[i].name, name, n)) {
			*cp = named[i].cp;
			return true;
		}
	for (size_t i = 0; i < 96; i++)
		if (strlen(latin1[i]) == n && !memcmp(latin1[i], name, n)) {
			*cp = 0xA0 + (uint32_t)i;
			return true;
		}
	return false;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "&#..." at s: digits, then an optional ';'. Returns bytes used, 0 when
 * there are no digits. */
static size_t numeric_ref(const char *s, size_t len, uint32_t *cp)
{
	bool hex = len > 2 && (s[2] == 'x' || s[2] == 'X');
	size_t i = hex ? 3 : 2, start = i;
	uint64_t v = 0;

	for (; i < len; i++) {
		int d = hex ? hexval(s[i]) : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);

		if (d < 0)
			break;
		if (v <= 0x10FFFF)	/* saturate: anything past is invalid */
			v = v * (hex ? 16 : 10) + (uint64_t)d;
	}
	if (i == start)
		return 0;
	if (i < len && s[i] == ';')
		i++;
	if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		*cp = REPLACEMENT;
	else if (v >= 0x80 && v <= 0x9F && cp1252[v - 0x80])
		*cp = cp1252[v - 0x80];
	else
		*cp = (uint32_t)v;
	return i;
}

/* A character reference at s (s[0] == '&'). Returns the bytes it spans
 * with *cp set, or 0 when it is not one (then '&' is literal). */
static size_t entity(const char *s, size_t len, uint32_t *cp)
{
	size_t i = 1;

	if (len > 1 && s[1] == '#')
		return numeric_ref(s, len, cp);
	while (i < len && i <= 32 &&
	       ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		(s[i] >= '0' && s[i] <= '9')))
		i++;
	if (i == 1 || i >= len || s[i] != ';')
		return 0;
	if (!lookup_name(s + 1, i - 1, cp))
		return 0;
	return i + 1;
}

char *heed_html_decode_entities(const char *s, size_t len, size_t max)
{
	struct out o = { 0 };
	size_t i = 0, n;
	uint32_t cp;
	char *res;

	out_add(&o, "", 0);
	while (i < len) {
		const char *amp = memchr(s + i, '&', len - i);
		size_t run = amp ? (size_t)(amp - (s + i)) : len - i;

		out_add(&o, s + i, run);
		i += run;
		if (i >= len)
			break;
		n = entity(s + i, len - i, &cp);
		if (n) {
			out_cp(&o, cp);
			i += n;
		} else {
			out_addc(&o, '&');
			i++;
		}
	}
	res = heed_html_clean(o.p, o.len, max);
	free(o.p);
	return res;
}

/* ---- HTML to text ----------------------------------------------------- */

struct text {
	struct out o;
	unsigned nl;	/* newlines owed before the next visible text (<= 2) */
	bool sp;	/* a space owed before it */
	unsigned pre;	/* inside <pre> */
};

/* Pay what is owed, then append n bytes of visible text. */
static void text_put(struct text *t, const char *s, size_t n)
{
	if (t->o.len) {
		if (t->nl)
			out_add(&t->o, "\n\n", t->nl);
		else if (t->sp)
			out_addc(&t->o, ' ');
	}
	t->nl = 0;
	t->sp = false;
	out_add(&t->o, s, n);
}

static void text_break(struct text *t, unsigned lines)
{
	if (lines > 2)
		lines = 2;
	if (t->nl < lines)
		t->nl = lines;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* A character of the text (decoded from an entity or literal). */
static void text_char(struct text *t, uint32_t cp)
{
	char buf[4];

	if (cp < 0x80 && is_space((char)cp)) {
		if (!t->pre || !t->o.len) {
			t->sp = true;
			return;
		}
		if (cp == '\r')
			return;
		if (cp == '\n') {
			/* a newline inside <pre> is owed, not written, so
			 * that trailing blank lines are trimmed like others */
			if (t->o.len && t->nl < 2)
				t->nl++;
			return;
		}
	}
	text_put(t, buf, utf8_put(cp, buf));
}

static bool name_is(const char *name, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(name, *set))
			return true;
	return false;
}

static const char *const para_tags[] = {
	"p", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul",
	"ol", "table", "hr", "dl", "figure", NULL,
};
static const char *const line_tags[] = {
	"br", "li", "div", "tr", "dt", "dd", NULL,
};

/* Find the end of a construct starting at s[i] that ends with the string
 * end (case-insensitive); returns the index after it, or len. */
static size_t skip_past(const char *s, size_t len, size_t i, const char *end)
{
	size_t n = strlen(end);

	for (; i + n <= len; i++)
		if (!strncasecmp(s + i, end, n))
			return i + n;
	return len;
}

/* The tag at s[i] == '<'. Returns the index after it, or i when '<' is
 * literal text. */
static size_t tag(struct text *t, const char *s, size_t len, size_t i)
{
	size_t j = i + 1, k = 0;
	char name[16];
	bool closing = false;
	char q = 0;

	if (j < len && s[j] == '!') {
		if (len - j >= 3 && !strncmp(s + j, "!--", 3))
			return skip_past(s, len, j + 3, "-->");
		return skip_past(s, len, j, ">");
	}
	if (j < len && s[j] == '?')
		return skip_past(s, len, j, ">");
	if (j < len && s[j] == '/') {
		closing = true;
		j++;
	}
	if (j >= len || !((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')))
		return i;
	for (; j < len && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
			   (s[j] >= '0' && s[j] <= '9')); j++)
		if (k + 1 < sizeof(name))
			name[k++] = (char)(s[j] | 0x20);
	name[k] = '\0';
	for (; j < len; j++) {	/* attributes, quotes honoured */
		if (q) {
			if (s[j] == q)
				q = 0;
		} else if (s[j] == '"' || s[j] == '\'') {
			q = s[j];
		} else if (s[j] == '>') {
			break;
		}
	}
	j = j < len ? j + 1 : len;
	if (!closing && (!strcmp(name, "script") || !strcmp(name, "style"))) {
		j = skip_past(s, len, j, !strcmp(name, "script") ? "</script" : "</style");
		return skip_past(s, len, j, ">");
	}
	if (!strcmp(name, "pre")) {
		if (closing && t->pre)
			t->pre--;
		else if (!closing)
			t->pre++;
	}
	if (name_is(name, para_tags))
		text_break(t, 2);
	else if (name_is(name, line_tags))
		text_break(t, !closing && !strcmp(name, "br") && t->nl ? t->nl + 1 : 1);
	return j;
}

char *heed_html_to_text(const char *html, size_t len, size_t max)
{
	struct text t = { { 0 }, 0, false, 0 };
	size_t i = 0, n;
	uint32_t cp;
	char *res;

	out_add(&t.o, "", 0);
	while (i < len) {
		char c = html[i];

		if (c == '<') {
			n = tag(&t, html, len, i);
			if (n != i) {
				i = n;
				continue;
			}
		} else if (c == '&') {
			n = entity(html + i, len - i, &cp);
			if (n) {
				text_char(&t, cp);
				i += n;
				continue;
			}
		}
		if (is_space(c)) {
			text_char(&t, (uint32_t)c);
			i++;
			continue;
		}
		/* a run of ordinary bytes, validated later by the cleaner */
		n = 1;
		while (i + n < len && html[i + n] != '<' && html[i + n] != '&' &&
		       !is_space(html[i + n]))
			n++;
		text_put(&t, html + i, n);
		i += n;
	}
	res = heed_html_clean(t.o.p, t.o.len, max);
	free(t.o.p);
	return res;
}

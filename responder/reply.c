/* reply.c: a reply's text checked against its platform's rules before it is
 * queued (see heed/reply.h). Unicode segmentation is libutf8proc's. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "heed/buf.h"
#include "heed/reply.h"
#include "heed/xalloc.h"

/* Bytes of the grapheme cluster at s (len > 0 bytes left); an invalid byte
 * is a cluster of its own. */
static size_t cluster_len(const unsigned char *s, size_t len, bool *emoji)
{
	utf8proc_int32_t prev, c, state = 0;
	utf8proc_ssize_t k = utf8proc_iterate(s, (utf8proc_ssize_t)len, &prev);
	size_t used;
	int bc;

	*emoji = false;
	if (k < 0)
		return 1;
	bc = utf8proc_get_property(prev)->boundclass;
	*emoji = bc == UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC ||
		 bc == UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR;
	used = (size_t)k;
	while (used < len) {
		k = utf8proc_iterate(s + used, (utf8proc_ssize_t)(len - used), &c);
		if (k < 0 || utf8proc_grapheme_break_stateful(prev, c, &state))
			break;
		prev = c;
		used += (size_t)k;
	}
	return used;
}

size_t heed_utf8_graphemes(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	bool emoji;

	while (len > 0) {
		size_t k = cluster_len(p, len, &emoji);

		p += k;
		len -= k;
		n++;
	}
	return n;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* A link starts at i: "http://" or "https://" at the start of the text or
 * after a blank. Returns its length (up to the next blank), or 0. */
static size_t link_at(const char *s, size_t len, size_t i)
{
	size_t j;

	if (i > 0 && !is_blank(s[i - 1]))
		return 0;
	if (len - i >= 8 && !strncmp(s + i, "https://", 8))
		j = i + 8;
	else if (len - i >= 7 && !strncmp(s + i, "http://", 7))
		j = i + 7;
	else
		return 0;
	while (j < len && !is_blank(s[j]))
		j++;
	return j - i;
}

/* A byte of a [[:word:]] character (Mastodon's regexes are Unicode-aware:
 * every byte of a non-ASCII character counts as part of a word). */
static bool word_byte(unsigned char c)
{
	return c >= 0x80 || c == '_' || (c >= '0' && c <= '9') ||
	       ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Mastodon counts a mention "@user@domain" as "@user" (its
 * StatusLengthValidator rewrites Account::MENTION_RE to "@" plus the user
 * name). If a mention starts at s[i], return its length in bytes and set
 * *counted to what it counts; else 0. The user name is [a-z0-9_] first and
 * last, with '.' and '-' between; the domain is word characters, '.' and
 * '-', ending in a word character. No mention follows a word character,
 * '=' or '/'. */
static size_t mention_at(const char *s, size_t len, size_t i, size_t *counted)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t j = i + 1, user_end, k;

	if (p[i] != '@' || (i > 0 && (word_byte(p[i - 1]) || p[i - 1] == '=' ||
				      p[i - 1] == '/')))
		return 0;
#define USER_BYTE(c) ((c) < 0x80 && word_byte(c))
	if (j >= len || !USER_BYTE(p[j]))
		return 0;
	while (j < len && (USER_BYTE(p[j]) || p[j] == '.' || p[j] == '-'))
		j++;
	while (!USER_BYTE(p[j - 1]))	/* the name ends in [a-z0-9_] */
		j--;
#undef USER_BYTE
	user_end = j;
	*counted = user_end - i;
	if (j < len && p[j] == '@') {
		k = j + 1;
		while (k < len && (word_byte(p[k]) || p[k] == '.' || p[k] == '-'))
			k++;
		while (k > j + 1 && !word_byte(p[k - 1]))
			k--;
		if (k >= j + 3)	/* at least two characters, the last a word one */
			return k - i;
	}
	return user_end - i;
}

/* X's weight of one code point: 1 in the ranges twitter-text counts light
 * (Latin, Greek, Cyrillic, ... and some punctuation), 2 elsewhere. */
static size_t x_weight(utf8proc_int32_t c)
{
	return (c <= 0x10ff || (c >= 0x2000 && c <= 0x200d) ||
		(c >= 0x2010 && c <= 0x201f) || (c >= 0x2032 && c <= 0x2037))
		       ? 1 : 2;
}

/* Walk s cluster by cluster; links count HEED_REPLY_URL_LENGTH when
 * links is set; mentions count as Mastodon counts them when mentions is
 * set; x_weights selects X's weighting, else one per cluster. */
static size_t weighted(const char *s, size_t len, bool links, bool mentions,
		       bool x_weights)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n = 0;

	while (i < len) {
		size_t k = links ? link_at(s, len, i) : 0, counted;
		bool emoji;

		if (k) {
			n += HEED_REPLY_URL_LENGTH;
			i += k;
			continue;
		}
		if (mentions && (k = mention_at(s, len, i, &counted))) {
			n += counted;
			i += k;
			continue;
		}
		k = cluster_len(p + i, len - i, &emoji);
		if (!x_weights) {
			n++;
		} else if (emoji) {
			n += 2;
		} else {
			for (size_t j = 0; j < k;) {
				utf8proc_int32_t c;
				utf8proc_ssize_t m = utf8proc_iterate(
					p + i + j, (utf8proc_ssize_t)(k - j), &c);

				if (m < 0) {
					n += 1;
					j++;
				} else {
					n += x_weight(c);
					j += (size_t)m;
				}
			}
		}
		i += k;
	}
	return n;
}

static size_t count_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

size_t heed_reply_length(const char *platform, const char *text, size_t len)
{
	if (!strcmp(platform, "bluesky"))
		return heed_utf8_graphemes(text, len);
	if (!strcmp(platform, "mastodon"))
		return weighted(text, len, true, true, false);
	if (!strcmp(platform, "x")) {
		char *nfc = xstrndup(text, len);
		utf8proc_uint8_t *norm = utf8proc_NFC((const utf8proc_uint8_t *)nfc);
		size_t n;

		/* invalid UTF-8 cannot be normalised: weigh it as it is */
		n = norm ? weighted((const char *)norm, strlen((char *)norm), true, false, true)
			 : weighted(nfc, len, true, false, true);
		free(norm);
		free(nfc);
		return n;
	}
	return count_chars(text, len);
}

const char *heed_reply_unit(const char *platform)
{
	if (!strcmp(platform, "bluesky") || !strcmp(platform, "mastodon"))
		return "graphemes";
	if (!strcmp(platform, "x"))
		return "weighted characters";
	return "characters";
}

int64_t heed_reply_limit(const char *platform,
			 const struct heed_reply_limits *lim)
{
	if (!strcmp(platform, "bluesky"))
		return lim->bluesky;
	if (!strcmp(platform, "mastodon"))
		return lim->mastodon;
	if (!strcmp(platform, "reddit"))
		return lim->reddit;
	if (!strcmp(platform, "x"))
		return lim->x;
	return 0;
}

static bool is_control(utf8proc_int32_t c)
{
	return (c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7f && c <= 0x9f) ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

int heed_reply_check(const char *platform, const char *text,
		     const struct heed_reply_limits *lim, size_t *n,
		     struct heed_err *err)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t len = strlen(text), i = 0, count;
	int64_t max;

	if (n)
		*n = 0;
	if (!text[strspn(text, " \t\n")])
		return heed_err_set(err, HEED_EINVAL, "the reply is empty");
	while (i < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(p + i,
						      (utf8proc_ssize_t)(len - i), &c);

		if (k < 0)
			return heed_err_set(err, HEED_EINVAL,
					    "the reply is not valid UTF-8 (byte %zu)", i);
		if (is_control(c))
			return heed_err_set(err, HEED_EINVAL,
					    "the reply contains a control character (U+%04X)",
					    (unsigned)c);
		i += (size_t)k;
	}
	count = heed_reply_length(platform, text, len);
	if (n)
		*n = count;
	max = heed_reply_limit(platform, lim);
	if (max > 0 && count > (size_t)max)
		return heed_err_set(err, HEED_ETOOBIG, "the reply is %zu %s; %s allows %lld",
				    count, heed_reply_unit(platform), platform,
				    (long long)max);
	if (!strcmp(platform, "bluesky") && len > HEED_REPLY_BLUESKY_MAX_BYTES)
		return heed_err_set(err, HEED_ETOOBIG, "the reply is %zu bytes; bluesky allows %d",
				    len, HEED_REPLY_BLUESKY_MAX_BYTES);
	return HEED_OK;
}

static bool handle_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '@' || c == '-';
}

/* Does text mention @handle (any case), as a whole handle? */
static bool mentions(const char *text, const char *handle)
{
	size_t n = strlen(handle);

	for (const char *p = strchr(text, '@'); p; p = strchr(p + 1, '@')) {
		const char *end = p + 1 + n;

		if ((p > text && handle_char(p[-1])) || strncasecmp(p + 1, handle, n))
			continue;
		/* "@ann" is not "@anna", nor "@ann@other.example" */
		if (!handle_char(*end) && !(*end == '.' && handle_char(end[1])))
			return true;
	}
	return false;
}

char *heed_reply_addressed(const char *platform, const char *text, const char *handle)
{
	if (strcmp(platform, "mastodon") || !handle || !*handle || mentions(text, handle))
		return xstrdup(text);
	return xasprintf("@%s %s", handle, text);
}

int heed_reply_check_to(const char *platform, const char *text, const char *handle,
			const struct heed_reply_limits *lim, size_t *n,
			struct heed_err *err)
{
	char *out = heed_reply_addressed(platform, text, handle);
	int rc = heed_reply_check(platform, out, lim, n, err);

	free(out);
	return rc;
}

char *heed_reply_tidy(const char *text, size_t len, bool strip_comments)
{
	struct heed_buf b;
	size_t i = 0, start, end;
	char *s;

	heed_buf_init(&b, 0);
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - text) : len, keep;

		if (!(strip_comments && text[i] == '#')) {
			size_t mark = heed_buf_len(&b);

			for (size_t j = i; j < e; j++)
				if (text[j] != '\r' && heed_buf_addc(&b, text[j]))
					abort();
			keep = heed_buf_len(&b);
			while (keep > mark && is_blank(heed_buf_str(&b)[keep - 1]))
				keep--;
			heed_buf_truncate(&b, keep);
			if (heed_buf_addc(&b, '\n'))
				abort();
		}
		i = e + 1;
	}
	s = heed_buf_detach(&b, &end);
	start = strspn(s, "\n");
	while (end > start && s[end - 1] == '\n')
		end--;
	memmove(s, s + start, end - start);
	s[end - start] = '\0';
	return s;
}

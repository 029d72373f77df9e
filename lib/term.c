/* term.c: strip terminal control from hostile text (see heed/term.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heed/buf.h"
#include "heed/term.h"
#include "heed/xalloc.h"

/* Decode one UTF-8 character at p (n bytes left). Returns its length, or 0
 * for an invalid sequence (overlong, surrogate, past U+10FFFF, cut off). */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (p[0] < 0x80)
		return *cp = p[0], 1;
	if ((p[0] & 0xe0) == 0xc0)
		len = 2, c = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, c = p[0] & 0x0f, min = 0x800;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4, c = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static bool is_bidi(uint32_t c)
{
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x200e || c == 0x200f || c == 0x061c;
}

/* Skip an escape sequence starting at p[0] == ESC; returns bytes used. */
static size_t skip_escape(const unsigned char *p, size_t n)
{
	size_t i = 1;

	if (n < 2)
		return n;
	switch (p[1]) {
	case '[':	/* CSI: parameters, intermediates, one final byte */
		for (i = 2; i < n; i++)
			if (p[i] >= 0x40 && p[i] <= 0x7e)
				return i + 1;
		return n;
	case ']':	/* OSC, and the string controls: up to BEL or ESC \ */
	case 'P':
	case 'X':
	case '^':
	case '_':
		for (i = 2; i < n; i++) {
			if (p[i] == 0x07)
				return i + 1;
			if (p[i] == 0x1b && i + 1 < n && p[i + 1] == '\\')
				return i + 2;
		}
		return n;
	default:	/* two-byte escapes, with intermediates (ESC ( B) */
		while (i < n && p[i] >= 0x20 && p[i] <= 0x2f)
			i++;
		return i < n ? i + 1 : n;
	}
}

char *heed_term_clean(const char *in, size_t len, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)in;
	struct heed_buf b;
	size_t i = 0;

	heed_buf_init(&b, 0);
	while (i < len) {
		uint32_t c;
		size_t k;

		if (p[i] == 0x1b) {
			i += skip_escape(p + i, len - i);
			continue;
		}
		k = utf8_decode(p + i, len - i, &c);
		if (!k) {
			if (heed_buf_add(&b, "\xef\xbf\xbd", 3))
				break;
			i++;
			continue;
		}
		if (c == '\n' && (flags & HEED_TERM_KEEP_NEWLINES)) {
			if (heed_buf_addc(&b, '\n'))
				break;
		} else if (c == '\t' || c == '\n' || c == '\r') {
			if (heed_buf_addc(&b, ' '))
				break;
		} else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
			   is_bidi(c)) {
			/* dropped */
		} else if (heed_buf_add(&b, p + i, k)) {
			break;
		}
		i += k;
	}
	return heed_buf_detach(&b, NULL);
}

char *heed_term_sanitize(char *out, size_t outsz, const char *in)
{
	char *clean;
	size_t len, cut;

	if (!outsz)
		return out;
	clean = heed_term_clean(in ? in : "", in ? strlen(in) : 0, 0);
	len = strlen(clean);
	if (len < outsz) {
		memcpy(out, clean, len + 1);
	} else if (outsz < 4) {
		out[0] = '\0';
	} else {
		cut = outsz - 4;
		while (cut > 0 && ((unsigned char)clean[cut] & 0xc0) == 0x80)
			cut--;	/* never split a character */
		memcpy(out, clean, cut);
		memcpy(out + cut, "...", 4);
	}
	free(clean);
	return out;
}

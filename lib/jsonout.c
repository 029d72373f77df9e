/* jsonout.c: JSON text as jansson's json_dumps(JSON_COMPACT) writes it,
 * straight into a heed_buf (see heed/jsonout.h). The rules copied from
 * jansson 2.14 (dump.c, strconv.c) are named where they are used;
 * tests/unit/test_jsonout.c holds the two outputs against each other. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "heed/jsonout.h"

/* Length of the UTF-8 sequence at s (at most n bytes), or 0 when jansson's
 * utf8_check_full would refuse it: overlong forms, surrogates, code points
 * past U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t k;
	unsigned long v;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3, v = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4, v = c & 0x07;
	else
		return 0;
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if ((k == 3 && v < 0x800) || (k == 4 && v < 0x10000) || v > 0x10ffff ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	return k;
}

int heed_jsonout_str(struct heed_buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len, *run;
	size_t start = heed_buf_len(b);
	int rc;

	if ((rc = heed_buf_addc(b, '"')))
		return rc;
	while (p < end) {
		char esc[8];
		size_t n;

		for (run = p; p < end && *p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80; p++)
			;
		if (p > run && (rc = heed_buf_add(b, run, (size_t)(p - run))))
			return rc;
		if (p == end)
			break;
		if (*p >= 0x80) {
			if (!(n = utf8_len(p, (size_t)(end - p)))) {
				heed_buf_truncate(b, start);
				return HEED_EINVAL;
			}
			if ((rc = heed_buf_add(b, p, n)))
				return rc;
			p += n;
			continue;
		}
		/* dump_string: the short escapes, else \u with upper-case hex */
		switch (*p) {
		case '"': memcpy(esc, "\\\"", 3); break;
		case '\\': memcpy(esc, "\\\\", 3); break;
		case '\b': memcpy(esc, "\\b", 3); break;
		case '\f': memcpy(esc, "\\f", 3); break;
		case '\n': memcpy(esc, "\\n", 3); break;
		case '\r': memcpy(esc, "\\r", 3); break;
		case '\t': memcpy(esc, "\\t", 3); break;
		default: snprintf(esc, sizeof(esc), "\\u%04X", *p); break;
		}
		if ((rc = heed_buf_adds(b, esc)))
			return rc;
		p++;
	}
	return heed_buf_addc(b, '"');
}

int heed_jsonout_real(struct heed_buf *b, double v, int precision)
{
	char buf[64], *e, *from, *to;
	int n;

	if (!isfinite(v))
		return HEED_EINVAL;
	/* jsonp_dtostr: %.Ng, a '.' in any locale, ".0" when it would read
	 * back as an integer, no '+' or leading zeros in the exponent */
	n = snprintf(buf, sizeof(buf), "%.*g", precision ? precision : 17, v);
	if (n < 0 || (size_t)n >= sizeof(buf) - 3)
		return HEED_EINVAL;
	for (char *c = buf; *c; c++)
		if (*c == ',')
			*c = '.';
	if (!strchr(buf, '.') && !strchr(buf, 'e')) {
		memcpy(buf + n, ".0", 3);
		n += 2;
	}
	if ((e = strchr(buf, 'e'))) {
		from = to = e + 1;
		if (*from == '+')
			from++;
		else if (*from == '-')
			from = ++to;
		while (*from == '0' && from[1])
			from++;
		if (from != to) {
			memmove(to, from, strlen(from) + 1);
			n = (int)strlen(buf);
		}
	}
	return heed_buf_add(b, buf, (size_t)n);
}

int heed_jsonout_int(struct heed_buf *b, long long v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%lld", v);

	return heed_buf_add(b, buf, (size_t)n);
}

static int value(struct heed_buf *b, const json_t *v, int precision)
{
	const char *key;
	json_t *item;
	size_t i = 0;
	void *it;
	int rc;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if ((rc = heed_buf_addc(b, '{')))
			return rc;
		for (it = json_object_iter((json_t *)v); it;
		     it = json_object_iter_next((json_t *)v, it), i++) {
			key = json_object_iter_key(it);
			if ((i && (rc = heed_buf_addc(b, ','))) ||
			    (rc = heed_jsonout_str(b, key, json_object_iter_key_len(it))) ||
			    (rc = heed_buf_addc(b, ':')) ||
			    (rc = value(b, json_object_iter_value(it), precision)))
				return rc;
		}
		return heed_buf_addc(b, '}');
	case JSON_ARRAY:
		if ((rc = heed_buf_addc(b, '[')))
			return rc;
		json_array_foreach(v, i, item)
			if ((i && (rc = heed_buf_addc(b, ','))) ||
			    (rc = value(b, item, precision)))
				return rc;
		return heed_buf_addc(b, ']');
	case JSON_STRING:
		return heed_jsonout_str(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return heed_jsonout_int(b, (long long)json_integer_value(v));
	case JSON_REAL:
		return heed_jsonout_real(b, json_real_value(v), precision);
	case JSON_TRUE:
		return heed_buf_adds(b, "true");
	case JSON_FALSE:
		return heed_buf_adds(b, "false");
	case JSON_NULL:
		return heed_buf_adds(b, "null");
	}
	return HEED_EINVAL;
}

int heed_jsonout_value(struct heed_buf *b, const json_t *v, int precision)
{
	return v ? value(b, v, precision) : HEED_EINVAL;
}

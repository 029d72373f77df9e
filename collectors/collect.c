/* collect.c: helpers shared by the platform adapters: cursors, ids, string
 * hygiene, sweeps and the pure parts of logging in (see collect_int.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "heed/html.h"
#include "heed/json.h"
#include "heed/xalloc.h"
#include "collect_int.h"

/* ---- cursors ----------------------------------------------------------- */

json_t *heed_collect_cursor_load(const char *cursor, struct heed_err *err)
{
	json_error_t jerr;
	json_t *c;

	if (!cursor || !*cursor)
		return json_object();
	c = json_loads(cursor, 0, &jerr);
	if (!json_is_object(c)) {
		json_decref(c);
		heed_err_set(err, HEED_EINVAL, "stored cursor is not a JSON object");
		return NULL;
	}
	return c;
}

char *heed_collect_cursor_dump(const json_t *c)
{
	char *s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS), *copy;

	if (!s)
		return xstrdup("{}");
	copy = xstrdup(s);
	free(s);
	return copy;
}

int64_t heed_collect_cursor_from(const json_t *c, int64_t now_ms)
{
	bool found;
	int64_t v = heed_json_int(c, "since_ms", 0, &found);

	return found ? v : now_ms - HEED_COLLECT_BACKFILL_MS;
}

/* ---- ids and strings ---------------------------------------------------- */

int heed_collect_id_cmp(const char *a, const char *b)
{
	size_t la, lb;
	int c;

	if (!a || !b)
		return !a ? (!b ? 0 : -1) : 1;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	c = memcmp(a, b, la);
	return c < 0 ? -1 : c > 0;
}

char *heed_collect_str(const char *s, size_t max)
{
	return s ? heed_html_clean(s, strlen(s), max) : NULL;
}

char *heed_collect_json_text(const json_t *v, size_t max)
{
	if (!json_is_string(v))
		return NULL;
	return heed_html_clean(json_string_value(v), json_string_length(v), max);
}

char *heed_collect_raw(const json_t *item)
{
	char *s = json_dumps(item, JSON_COMPACT | JSON_PRESERVE_ORDER), *copy;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	if (n > HEED_COLLECT_RAW_MAX) {
		free(s);
		return NULL;
	}
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && i + 5 < n && !memcmp(s + i + 2, "0000", 4))
			memcpy(s + i + 2, "fffd", 4);
		i++;	/* skip the escaped character */
	}
	copy = xstrdup(s);
	free(s);
	return copy;
}

static bool word_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

bool heed_collect_has_word(const char *text, const char *word)
{
	size_t n = word ? strlen(word) : 0;

	if (!text || !n)
		return false;
	for (const char *p = text; *p; p++) {
		if (strncasecmp(p, word, n))
			continue;
		if (p > text && word_char((unsigned char)p[-1]) &&
		    word_char((unsigned char)word[0]))
			continue;
		if (word_char((unsigned char)p[n]) &&
		    word_char((unsigned char)word[n - 1]))
			continue;
		return true;
	}
	return false;
}

static const char *unat(const char *s)
{
	return s && *s == '@' ? s + 1 : s;
}

static bool same_account(const char *acct, const char *id, const char *handle)
{
	acct = unat(acct);
	if (!acct || !*acct)
		return false;
	return (id && !strcmp(acct, id)) ||
	       (handle && !strcasecmp(acct, unat(handle)));
}

bool heed_collect_is_own(const struct heed_source *src, const char *author_id,
			 const char *handle)
{
	if (same_account(src->account, author_id, handle))
		return true;
	for (size_t i = 0; src->own_accounts && src->own_accounts[i]; i++)
		if (same_account(src->own_accounts[i], author_id, handle))
			return true;
	return false;
}

char *heed_collect_lang(const char *tag)
{
	char out[3];

	if (!tag || !isalpha((unsigned char)tag[0]) || !isalpha((unsigned char)tag[1]) ||
	    (tag[2] && tag[2] != '-' && tag[2] != '_'))
		return NULL;
	out[0] = (char)tolower((unsigned char)tag[0]);
	out[1] = (char)tolower((unsigned char)tag[1]);
	out[2] = '\0';
	return xstrdup(out);
}

unsigned heed_collect_limit(const struct heed_source *src, unsigned lo,
			    unsigned hi)
{
	unsigned n = src->page_size;

	if (!n || n > hi)
		return hi;
	return n < lo ? lo : n;
}

/* ---- sweeps -------------------------------------------------------------- */

bool heed_collect_ids_has(const json_t *arr, const char *id)
{
	size_t i;
	json_t *v;

	if (!id)
		return false;
	json_array_foreach(arr, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), id))
			return true;
	return false;
}

void heed_collect_ids_add(json_t *arr, const char *id)
{
	if (!id || heed_collect_ids_has(arr, id) ||
	    json_array_size(arr) >= HEED_COLLECT_TIES_MAX)
		return;
	json_array_append_new(arr, json_string(id));
}

/* A copy of the string ids of arr (or an empty array). */
static json_t *ids_copy(const json_t *arr)
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(arr, i, v)
		if (json_is_string(v))
			heed_collect_ids_add(out, json_string_value(v));
	return out;
}

void heed_sweep_load(struct heed_sweep *s, const json_t *c, int64_t from)
{
	bool found;

	memset(s, 0, sizeof(*s));
	s->wm = heed_json_int(c, "wm", from, &found);
	s->ids = ids_copy(found ? heed_json_arr(c, "ids") : NULL);
	s->top = heed_json_int(c, "new_wm", 0, &s->any);
	s->top_ids = ids_copy(s->any ? heed_json_arr(c, "new_ids") : NULL);
}

enum heed_sweep_seen heed_sweep_check(struct heed_sweep *s, int64_t t,
				      const char *id)
{
	if (t < s->wm) {
		s->reached = true;
		return HEED_SWEEP_OLD;
	}
	if (t == s->wm && heed_collect_ids_has(s->ids, id))
		return HEED_SWEEP_SEEN;
	if (!s->any || t > s->top) {
		s->any = true;
		s->top = t;
		json_array_clear(s->top_ids);
	}
	if (t == s->top)
		heed_collect_ids_add(s->top_ids, id);
	return HEED_SWEEP_NEW;
}

void heed_sweep_save(const struct heed_sweep *s, json_t *c, bool done)
{
	json_object_del(c, "since_ms");
	json_object_del(c, "new_wm");
	json_object_del(c, "new_ids");
	if (done && s->any && s->top > s->wm) {
		json_object_set_new(c, "wm", json_integer(s->top));
		json_object_set_new(c, "ids", ids_copy(s->top_ids));
		return;
	}
	json_object_set_new(c, "wm", json_integer(s->wm));
	json_object_set_new(c, "ids", ids_copy(s->ids));
	if (done && s->any) {	/* s->top == s->wm: more ids at the mark */
		json_t *ids = json_object_get(c, "ids"), *v;
		size_t i;

		json_array_foreach(s->top_ids, i, v)
			heed_collect_ids_add(ids, json_string_value(v));
	} else if (s->any) {
		json_object_set_new(c, "new_wm", json_integer(s->top));
		json_object_set_new(c, "new_ids", ids_copy(s->top_ids));
	}
}

void heed_sweep_release(struct heed_sweep *s)
{
	json_decref(s->ids);
	json_decref(s->top_ids);
	memset(s, 0, sizeof(*s));
}

/* ---- logging in ----------------------------------------------------------- */

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

/* Decode n characters of base64 or base64url (padding optional) into an
 * allocated buffer; NULL on a bad character. */
static char *b64decode(const char *s, size_t n, size_t *outlen)
{
	char *out = xmalloc(n * 3 / 4 + 4);
	uint32_t acc = 0;
	size_t len = 0;
	unsigned bits = 0;

	for (size_t i = 0; i < n && s[i] != '='; i++) {
		int v = b64val(s[i]);

		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (char)(acc >> bits & 0xFF);
		}
	}
	out[len] = '\0';
	*outlen = len;
	return out;
}

int64_t heed_collect_jwt_exp_ms(const char *jwt)
{
	const char *p = jwt ? strchr(jwt, '.') : NULL, *q;
	char *payload;
	json_t *claims;
	size_t len;
	int64_t exp;
	bool found;

	if (!p)
		return -1;
	p++;
	q = strchr(p, '.');
	if (!q || q - p > 8192)
		return -1;
	payload = b64decode(p, (size_t)(q - p), &len);
	if (!payload)
		return -1;
	claims = heed_json_parse(payload, len, 0, NULL);
	free(payload);
	exp = heed_json_int(claims, "exp", -1, &found);
	json_decref(claims);
	if (!found || exp <= 0 || exp > INT64_MAX / 1000)
		return -1;
	return exp * 1000;
}

char *heed_collect_base64(const void *p, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *u = p;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)u[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)u[i + 1] << 8;
		if (i + 2 < len)
			v |= u[i + 2];
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = i + 1 < len ? tab[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

char *heed_collect_state_expire(const char *state)
{
	json_t *s = state ? json_loads(state, 0, NULL) : NULL;
	char *out;

	if (!json_is_object(s)) {
		json_decref(s);
		return NULL;
	}
	json_object_set_new(s, "expired", json_true());
	out = heed_collect_cursor_dump(s);
	json_decref(s);
	return out;
}

char *heed_collect_state_get(const char *state, const char *key)
{
	json_t *s = state ? json_loads(state, 0, NULL) : NULL;
	const char *v = heed_json_str(s, key);
	char *out = v ? xstrdup(v) : NULL;

	json_decref(s);
	return out;
}

/* json.c: capped parsing and never-crashing getters over jansson (see
 * heed/json.h). */
#include <stdio.h>
#include <string.h>

#include "heed/json.h"

json_t *heed_json_parse(const char *text, size_t len, size_t max,
			struct heed_err *err)
{
	json_error_t jerr;
	json_t *root;
	char *near;

	if (max && len > max) {
		heed_err_set(err, HEED_ETOOBIG,
			     "JSON text of %zu bytes is over the %zu-byte cap",
			     len, max);
		return NULL;
	}
	root = json_loadb(text ? text : "", text ? len : 0, JSON_ALLOW_NUL,
			  &jerr);
	if (root)
		return root;
	/* jansson appends " near '<token>'": drop it, the token is input
	 * (user text, perhaps control characters) and does not belong in a
	 * log line. "near end of file" stays. */
	near = strstr(jerr.text, " near '");
	if (near)
		*near = '\0';
	if (json_error_code(&jerr) == json_error_invalid_utf8)
		heed_err_set(err, HEED_EPARSE,
			     "line %d column %d: invalid UTF-8 (%s)", jerr.line,
			     jerr.column, jerr.text);
	else
		heed_err_set(err, HEED_EPARSE, "line %d column %d: %s",
			     jerr.line, jerr.column, jerr.text);
	return NULL;
}

/* obj[key], or obj itself when key is NULL; NULL when there is none. */
static json_t *member(const json_t *obj, const char *key)
{
	if (!key)
		return (json_t *)obj;
	return json_object_get(obj, key);	/* NULL-safe, type-checked */
}

const char *heed_json_str(const json_t *obj, const char *key)
{
	const json_t *v = member(obj, key);
	const char *s;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return NULL;
	return s;
}

int64_t heed_json_int(const json_t *obj, const char *key, int64_t def,
		      bool *found)
{
	const json_t *v = member(obj, key);
	bool ok = json_is_integer(v);

	if (found)
		*found = ok;
	return ok ? (int64_t)json_integer_value(v) : def;
}

double heed_json_number(const json_t *obj, const char *key, double def,
			bool *found)
{
	const json_t *v = member(obj, key);
	bool ok = json_is_number(v);

	if (found)
		*found = ok;
	return ok ? json_number_value(v) : def;
}

bool heed_json_bool(const json_t *obj, const char *key, bool def,
		    bool *found)
{
	const json_t *v = member(obj, key);
	bool ok = json_is_boolean(v);

	if (found)
		*found = ok;
	return ok ? json_is_true(v) : def;
}

json_t *heed_json_obj(const json_t *obj, const char *key)
{
	json_t *v = member(obj, key);

	return json_is_object(v) ? v : NULL;
}

json_t *heed_json_arr(const json_t *obj, const char *key)
{
	json_t *v = member(obj, key);

	return json_is_array(v) ? v : NULL;
}

const char *heed_json_str_or_num(const json_t *obj, const char *key,
				 char *buf, size_t bufsz)
{
	const json_t *v = member(obj, key);
	const char *s;
	int n;

	if (!bufsz)
		return NULL;
	buf[0] = '\0';
	if (json_is_integer(v)) {
		n = snprintf(buf, bufsz, "%lld",
			     (long long)json_integer_value(v));
		if (n < 0 || (size_t)n >= bufsz) {
			buf[0] = '\0';
			return NULL;
		}
		return buf;
	}
	s = heed_json_str(v, NULL);
	if (!s || strlen(s) >= bufsz)
		return NULL;
	memcpy(buf, s, strlen(s) + 1);
	return buf;
}

/* "[N]" at *p: the index, with *p moved past the ']'. At most 9 digits, so
 * no overflow; larger indexes could not exist anyway. */
static bool parse_index(const char **p, size_t *idx)
{
	const char *s = *p + 1;
	size_t v = 0, n = 0;

	for (; *s >= '0' && *s <= '9'; s++, n++) {
		if (n == 9)
			return false;
		v = v * 10 + (size_t)(*s - '0');
	}
	if (!n || *s != ']')
		return false;
	*p = s + 1;
	*idx = v;
	return true;
}

json_t *heed_json_path(const json_t *root, const char *path)
{
	const json_t *cur = root;
	const char *p = path;

	if (!path)
		return NULL;
	while (*p && cur) {
		if (*p == '[') {
			size_t idx;

			if (!parse_index(&p, &idx))
				return NULL;
			cur = json_array_get(cur, idx);
		} else {
			size_t len = strcspn(p, ".[");

			if (!len)
				return NULL;
			cur = json_object_getn(cur, p, len);
			p += len;
		}
		if (*p == '.') {
			p++;
			if (!*p || *p == '.' || *p == '[')
				return NULL;
		} else if (*p && *p != '[') {
			return NULL;
		}
	}
	return (json_t *)cur;
}

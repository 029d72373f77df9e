/* json.h: jansson helpers for reading platform API pages. Parsing has a
 * size cap and an error message with line and column; the getters never
 * crash on a missing key, a wrong type or a NULL object, so a poller can
 * walk an untrusted page without checking every step.
 *
 * Every json_t * and const char * returned here is borrowed from the value
 * passed in: valid while the caller holds its reference to the root, never
 * json_decref'd or freed by the caller. Only heed_json_parse() returns a
 * new reference. All functions are thread-safe on values no one modifies. */
#ifndef HEED_JSON_H
#define HEED_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "heed/err.h"

/* Parse len bytes of text (need not be NUL-terminated) holding one JSON
 * object or array. max caps len (0: no cap). Strings may contain \u0000
 * (see heed_json_str). Returns a new reference (json_decref it), or NULL
 * with err set: HEED_ETOOBIG when len > max, HEED_EPARSE with "line L
 * column C: what" otherwise, which says "invalid UTF-8" when that is the
 * problem. The message never quotes the input. */
json_t *heed_json_parse(const char *text, size_t len, size_t max,
			struct heed_err *err);

/* Typed getters. Each looks up key in obj, or when key is NULL takes obj
 * itself (handy for array items). obj may be NULL or not an object, and
 * then the key is missing. */

/* The string, or NULL when missing, not a string, or when it contains a
 * NUL character (it could not be used as a C string without being cut). */
const char *heed_json_str(const json_t *obj, const char *key);

/* The value when it is a JSON integer, else def; *found (may be NULL) says
 * which. A real such as 3.0 or a string "3" is not an integer. */
int64_t heed_json_int(const json_t *obj, const char *key, int64_t def,
		      bool *found);

/* The value when it is a JSON integer or real, as a double, else def. */
double heed_json_number(const json_t *obj, const char *key, double def,
			bool *found);

/* The value when it is true or false, else def. */
bool heed_json_bool(const json_t *obj, const char *key, bool def,
		    bool *found);

/* The value when it is an object (resp. array), else NULL. */
json_t *heed_json_obj(const json_t *obj, const char *key);
json_t *heed_json_arr(const json_t *obj, const char *key);

/* An id that some APIs send as a string and others as a number: a string
 * is copied, an integer is written in decimal. Returns buf, or NULL when
 * the key is missing, is another type (reals are refused: they lose
 * precision), contains NUL, or does not fit in bufsz bytes. buf is always
 * NUL-terminated ("" on failure) when bufsz > 0. */
const char *heed_json_str_or_num(const json_t *obj, const char *key,
				 char *buf, size_t bufsz);

/* Walk a path of object keys separated by dots, with [N] to index arrays:
 * "data.children", "items[0].id", "[2]", "a[1][0]". An empty path gives
 * root. Keys cannot contain '.' or '['; use json_object_get for those.
 * Returns the value of any type, or NULL when any step is missing, has the
 * wrong type, or the path is malformed. */
json_t *heed_json_path(const json_t *root, const char *path);

#endif

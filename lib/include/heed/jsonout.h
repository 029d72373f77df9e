/* jsonout.h: JSON text written straight into a heed_buf, byte for byte as
 * jansson's json_dumps() with JSON_COMPACT writes it (object members in
 * insertion order), for the hot paths that serialize every mention (the
 * raw item, the classifier's reasons) without building or walking a second
 * tree through jansson's per-character callbacks. Thread-safe on distinct
 * buffers. */
#ifndef HEED_JSONOUT_H
#define HEED_JSONOUT_H

#include <stddef.h>

#include <jansson.h>

#include "heed/buf.h"
#include "heed/err.h"

/* Append len bytes of s as a JSON string, quoted and escaped as jansson
 * does. HEED_EINVAL, with nothing appended, when s is not valid UTF-8
 * (jansson refuses to dump such a string); HEED_ETOOBIG when b's cap is
 * reached (b then holds part of it). */
int heed_jsonout_str(struct heed_buf *b, const char *s, size_t len)
	HEED_MUSTCHECK;

/* Append v as jansson writes a real with JSON_REAL_PRECISION(precision)
 * (0: 17 digits), e.g. "5.0", "0.1", "1e-5". HEED_EINVAL when v is not
 * finite (jansson has no such real). */
int heed_jsonout_real(struct heed_buf *b, double v, int precision)
	HEED_MUSTCHECK;

/* Append v in decimal. */
int heed_jsonout_int(struct heed_buf *b, long long v) HEED_MUSTCHECK;

/* Append the whole value v as json_dumps(v, JSON_COMPACT) would, for
 * reals with JSON_REAL_PRECISION(precision). HEED_EINVAL (b then holds
 * part of it) where json_dumps would fail: a string that is not UTF-8. */
int heed_jsonout_value(struct heed_buf *b, const json_t *v, int precision)
	HEED_MUSTCHECK;

#endif

/* cfg.h: heed's configuration. One declarative table of keys (section, name,
 * type, default, bounds, reloadable, help) drives parsing, validation,
 * `heed config --defaults` and etc/heed.conf.example. Values come from the
 * built-in default, then the INI file, then HEED_<SECTION>_<KEY> environment
 * variables, then command-line flags; later wins.
 *
 * Sections named in the table as "source.*" or "brand.*" may appear any number
 * of times with a name after the dot ([source.reddit-acme]). A parsed
 * struct heed_cfg is immutable to its readers; pass it down explicitly. */
#ifndef HEED_CFG_H
#define HEED_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "heed/err.h"

enum heed_cfg_type {
	HEED_CFG_STR,
	HEED_CFG_INT,		/* integer within [min, max] */
	HEED_CFG_DOUBLE,	/* decimal within [min, max] */
	HEED_CFG_BOOL,		/* true/false, yes/no, on/off, 1/0 */
	HEED_CFG_DURATION,	/* 500ms, 30s, 5m, 2h, 1d; bare number = seconds */
	HEED_CFG_SIZE,		/* bytes with optional k, M, G (powers of 1024) */
	HEED_CFG_ENUM,		/* one of choices "a|b|c" */
	HEED_CFG_LIST,		/* comma-separated; the key may repeat to append */
};

#define HEED_CFG_RELOADABLE 0x1u	/* re-read on SIGHUP */
#define HEED_CFG_REQUIRED 0x2u		/* must be set in each named section */

struct heed_cfg_key {
	const char *section;	/* "log", or "source.*" for named sections */
	const char *name;
	enum heed_cfg_type type;
	const char *def;	/* default as it would be written; NULL: unset */
	double min, max;	/* bounds for INT, DOUBLE, DURATION (s), SIZE */
	const char *choices;	/* ENUM only */
	unsigned flags;
	const char *help;	/* one line */
};

/* The table of every key heed knows, terminated by a {NULL} row. */
extern const struct heed_cfg_key heed_cfg_keys[];

struct heed_cfg;

/* Parse text already in memory as if it were file `name` (used by tests and
 * by heed_cfg_load). keys is the table to validate against (normally
 * heed_cfg_keys). On error returns NULL and err says "name:line: problem". */
struct heed_cfg *heed_cfg_parse(const struct heed_cfg_key *keys,
				const char *name, FILE *in,
				struct heed_err *err);

/* Find and load the file: path if given (it must exist), else $HEED_CONFIG
 * (must exist), else ./heed.conf, else /etc/heed/heed.conf; when none exists
 * the result holds only defaults. Then applies HEED_* environment overrides
 * from env (an environ-style array; NULL means none). */
struct heed_cfg *heed_cfg_load(const struct heed_cfg_key *keys,
			       const char *path, char *const *env,
			       struct heed_err *err);

void heed_cfg_free(struct heed_cfg *cfg);

/* Set one value from a flag or the environment, with the same validation as
 * the file. origin names where it came from for error messages. */
int heed_cfg_set(struct heed_cfg *cfg, const char *section, const char *name,
		 const char *value, const char *origin, struct heed_err *err)
	HEED_MUSTCHECK;

/* The file that was read, or NULL when defaults only. Borrowed. */
const char *heed_cfg_path(const struct heed_cfg *cfg);

/* Typed getters. The key must be in the table with that type (a mismatch is
 * a programming error and aborts). Values were validated when set, so these
 * cannot fail. Named sections are addressed as "source.reddit-acme". */
const char *heed_cfg_str(const struct heed_cfg *cfg, const char *section,
			 const char *name);	/* NULL if unset, borrowed */
int64_t heed_cfg_int(const struct heed_cfg *cfg, const char *section,
		     const char *name);
double heed_cfg_double(const struct heed_cfg *cfg, const char *section,
		       const char *name);
bool heed_cfg_bool(const struct heed_cfg *cfg, const char *section,
		   const char *name);
int64_t heed_cfg_duration_ms(const struct heed_cfg *cfg, const char *section,
			     const char *name);
uint64_t heed_cfg_size(const struct heed_cfg *cfg, const char *section,
		       const char *name);
/* List items, borrowed; *n gets the count (0 when unset). */
const char *const *heed_cfg_list(const struct heed_cfg *cfg,
				 const char *section, const char *name,
				 size_t *n);
/* Was the key set explicitly (file, environment or flag)? */
bool heed_cfg_is_set(const struct heed_cfg *cfg, const char *section,
		     const char *name);

/* Names of the named sections of a kind ("source" gives "reddit-acme" for
 * [source.reddit-acme]), in file order. Borrowed; *n gets the count. */
const char *const *heed_cfg_sections(const struct heed_cfg *cfg,
				     const char *kind, size_t *n);

/* Value parsers shared with flag parsing. Return HEED_OK or HEED_EINVAL. */
int heed_parse_duration_ms(const char *s, int64_t *out) HEED_MUSTCHECK;
int heed_parse_size(const char *s, uint64_t *out) HEED_MUSTCHECK;
int heed_parse_int(const char *s, int64_t *out) HEED_MUSTCHECK;
int heed_parse_bool(const char *s, bool *out) HEED_MUSTCHECK;

/* Write the table as an annotated INI file: every key, commented out with
 * its default and help. This is what `heed config --defaults` prints and
 * what etc/heed.conf.example must equal. */
void heed_cfg_write_defaults(const struct heed_cfg_key *keys, FILE *out);

/* Write the effective configuration (every key with a value), masking
 * nothing: the table holds no secrets, only paths to them. */
void heed_cfg_write_effective(const struct heed_cfg *cfg, FILE *out);

#endif

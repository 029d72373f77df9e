/* cfg.c: INI parsing (libinih) validated against the key table, value
 * parsers, precedence (default < file < environment < flag), and the
 * defaults writer behind `heed config --defaults` (see heed/cfg.h). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "heed/cfg.h"
#include "heed/xalloc.h"

struct cfg_entry {
	char *section;		/* full section name: "log", "source.acme" */
	const struct heed_cfg_key *key;
	char *value;		/* last value as written */
	char **items;		/* LIST: accumulated items */
	size_t nitems;
	char *origin;		/* "file:line", "environment", "flag" */
};

struct heed_cfg {
	const struct heed_cfg_key *keys;
	char *path;
	struct cfg_entry *ents;
	size_t nents;
	/* named sections in order of appearance */
	char **named;		/* "source.acme" */
	size_t nnamed;
	/* scratch for heed_cfg_sections (borrowed results) */
	const char **scratch;
};

/* ---- value parsers ---------------------------------------------------- */

int heed_parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return HEED_EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return HEED_EINVAL;
	*out = v;
	return HEED_OK;
}

static int parse_double(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		return HEED_EINVAL;
	*out = v;
	return HEED_OK;
}

int heed_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = true, HEED_OK;
		if (!strcasecmp(s, no[i]))
			return *out = false, HEED_OK;
	}
	return HEED_EINVAL;
}

/* Parse "<number><unit>" where number is a non-negative decimal. */
static int number_unit(const char *s, double *num, const char **unit)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return HEED_EINVAL;
	errno = 0;
	*num = strtod(s, &end);
	if (errno || end == s || !isfinite(*num) || *num < 0)
		return HEED_EINVAL;
	*unit = end;
	return HEED_OK;
}

int heed_parse_duration_ms(const char *s, int64_t *out)
{
	static const struct { const char *u; double ms; } units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 },
	};
	const char *unit;
	double num;

	if (number_unit(s, &num, &unit))
		return HEED_EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].u))
			continue;
		if (num * units[i].ms > 9.2e18)
			return HEED_EINVAL;
		*out = (int64_t)llround(num * units[i].ms);
		return HEED_OK;
	}
	return HEED_EINVAL;
}

int heed_parse_size(const char *s, uint64_t *out)
{
	static const struct { const char *u; double mul; } units[] = {
		{ "", 1 }, { "B", 1 }, { "k", 1024.0 }, { "K", 1024.0 },
		{ "M", 1048576.0 }, { "G", 1073741824.0 },
	};
	const char *unit;
	double num;

	if (number_unit(s, &num, &unit))
		return HEED_EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].u))
			continue;
		if (num * units[i].mul > 1.8e19)
			return HEED_EINVAL;
		*out = (uint64_t)llround(num * units[i].mul);
		return HEED_OK;
	}
	return HEED_EINVAL;
}

static bool enum_has(const char *choices, const char *v)
{
	size_t len = strlen(v);
	const char *p = choices;

	while (p && *p) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		if (n == len && !strncmp(p, v, n))
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

static const char *type_name(enum heed_cfg_type t)
{
	switch (t) {
	case HEED_CFG_STR: return "string";
	case HEED_CFG_INT: return "integer";
	case HEED_CFG_DOUBLE: return "number";
	case HEED_CFG_BOOL: return "boolean";
	case HEED_CFG_DURATION: return "duration";
	case HEED_CFG_SIZE: return "size";
	case HEED_CFG_ENUM: return "choice";
	case HEED_CFG_LIST: return "list";
	}
	return "?";
}

/* Check one value against its key; on failure write the reason into why. */
static int validate(const struct heed_cfg_key *k, const char *v, char *why,
		    size_t whysz)
{
	int64_t i;
	uint64_t u;
	double d = 0;
	bool b;

	switch (k->type) {
	case HEED_CFG_STR:
	case HEED_CFG_LIST:
		return HEED_OK;
	case HEED_CFG_BOOL:
		if (heed_parse_bool(v, &b))
			goto bad;
		return HEED_OK;
	case HEED_CFG_ENUM:
		if (!enum_has(k->choices, v)) {
			snprintf(why, whysz, "not one of %s", k->choices);
			return HEED_EINVAL;
		}
		return HEED_OK;
	case HEED_CFG_INT:
		if (heed_parse_int(v, &i))
			goto bad;
		d = (double)i;
		break;
	case HEED_CFG_DOUBLE:
		if (parse_double(v, &d))
			goto bad;
		break;
	case HEED_CFG_DURATION:
		if (heed_parse_duration_ms(v, &i))
			goto bad;
		d = (double)i / 1000.0;
		break;
	case HEED_CFG_SIZE:
		if (heed_parse_size(v, &u))
			goto bad;
		d = (double)u;
		break;
	}
	if (d < k->min || d > k->max) {
		snprintf(why, whysz, "out of range [%g, %g]", k->min, k->max);
		return HEED_EINVAL;
	}
	return HEED_OK;
bad:
	snprintf(why, whysz, "not a %s", type_name(k->type));
	return HEED_EINVAL;
}

/* ---- table lookup ----------------------------------------------------- */

static bool valid_section_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-.", *s))
			return false;
	return true;
}

/* Does the table section pattern ("log" or "source.*") match section? */
static bool section_matches(const char *pattern, const char *section)
{
	size_t n = strlen(pattern);

	if (n >= 2 && pattern[n - 1] == '*' && pattern[n - 2] == '.')
		return !strncmp(pattern, section, n - 1) &&
		       valid_section_name(section + n - 1);
	return !strcmp(pattern, section);
}

static bool section_known(const struct heed_cfg_key *keys, const char *section)
{
	for (const struct heed_cfg_key *k = keys; k->name; k++)
		if (section_matches(k->section, section))
			return true;
	return false;
}

static const struct heed_cfg_key *find_key(const struct heed_cfg_key *keys,
					   const char *section,
					   const char *name)
{
	for (const struct heed_cfg_key *k = keys; k->name; k++)
		if (!strcmp(k->name, name) && section_matches(k->section, section))
			return k;
	return NULL;
}

static struct cfg_entry *find_entry(const struct heed_cfg *cfg,
				    const char *section, const char *name)
{
	for (size_t i = 0; i < cfg->nents; i++)
		if (!strcmp(cfg->ents[i].section, section) &&
		    !strcmp(cfg->ents[i].key->name, name))
			return &cfg->ents[i];
	return NULL;
}

static bool is_named_pattern(const char *pattern)
{
	size_t n = strlen(pattern);

	return n >= 2 && !strcmp(pattern + n - 2, ".*");
}

static void note_named(struct heed_cfg *cfg, const char *section)
{
	for (size_t i = 0; i < cfg->nnamed; i++)
		if (!strcmp(cfg->named[i], section))
			return;
	cfg->named = xreallocarray(cfg->named, cfg->nnamed + 1,
				   sizeof(*cfg->named));
	cfg->named[cfg->nnamed++] = xstrdup(section);
}

/* ---- setting values --------------------------------------------------- */

static void entry_set(struct cfg_entry *e, const char *value, bool append,
		      const char *origin)
{
	free(e->value);
	e->value = xstrdup(value);
	free(e->origin);
	e->origin = xstrdup(origin);
	if (e->key->type != HEED_CFG_LIST)
		return;
	if (!append) {
		for (size_t i = 0; i < e->nitems; i++)
			free(e->items[i]);
		e->nitems = 0;
	}
	/* split on commas, trimming blanks; empty items are dropped */
	for (const char *p = value; *p;) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *a = p, *b = end;

		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (b > a) {
			e->items = xreallocarray(e->items, e->nitems + 2,
						 sizeof(*e->items));
			e->items[e->nitems++] = xstrndup(a, (size_t)(b - a));
			e->items[e->nitems] = NULL;
		}
		p = comma ? comma + 1 : end;
	}
}

/* Common path for file, environment and flags. in_file makes a repeated
 * non-list key an error (a file should say each thing once); the file is
 * always read before the environment and flags, so any entry that exists
 * while in_file is true came from the file. */
static int cfg_put(struct heed_cfg *cfg, const char *section, const char *name,
		   const char *value, const char *origin, bool in_file,
		   struct heed_err *err)
{
	const struct heed_cfg_key *k;
	struct cfg_entry *e;
	char why[128];

	if (!section_known(cfg->keys, section))
		return heed_err_set(err, HEED_ECONFIG,
				    "%s: unknown section '[%s]'", origin,
				    section);
	k = find_key(cfg->keys, section, name);
	if (!k)
		return heed_err_set(err, HEED_ECONFIG,
				    "%s: unknown key '%s' in section '[%s]'",
				    origin, name, section);
	if (validate(k, value, why, sizeof(why)))
		return heed_err_set(err, HEED_ECONFIG,
				    "%s: bad value for '%s': %s", origin, name,
				    why);
	e = find_entry(cfg, section, name);
	if (e && in_file && k->type != HEED_CFG_LIST)
		return heed_err_set(err, HEED_ECONFIG,
				    "%s: '%s' is set twice (first at %s)",
				    origin, name, e->origin);
	if (!e) {
		cfg->ents = xreallocarray(cfg->ents, cfg->nents + 1,
					  sizeof(*cfg->ents));
		e = &cfg->ents[cfg->nents++];
		memset(e, 0, sizeof(*e));
		e->section = xstrdup(section);
		e->key = k;
	}
	if (is_named_pattern(k->section))
		note_named(cfg, section);
	entry_set(e, value, in_file, origin);
	return HEED_OK;
}

int heed_cfg_set(struct heed_cfg *cfg, const char *section, const char *name,
		 const char *value, const char *origin, struct heed_err *err)
{
	return cfg_put(cfg, section, name, value, origin, false, err);
}

/* ---- reading a file --------------------------------------------------- */

struct parse_state {
	struct heed_cfg *cfg;
	const char *name;
	FILE *in;
	unsigned line;
	bool too_long;
	struct heed_err *err;
	bool failed;
};

/* fgets-like reader for ini_parse_stream that counts lines, so errors can
 * name file:line, and notices lines longer than the library's buffer
 * (Debian builds inih with a 200-byte line), which inih would otherwise
 * split silently. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	char *r = fgets(str, num, st->in);
	size_t len;

	if (!r)
		return NULL;
	st->line++;
	len = strlen(r);
	if (len == (size_t)num - 1 && r[len - 1] != '\n' && !feof(st->in)) {
		int c;

		st->too_long = true;
		while ((c = fgetc(st->in)) != EOF && c != '\n')
			;
		str[0] = '\0';
	}
	return r;
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse_state *st = user;
	char origin[512];

	if (st->failed)
		return 1;
	snprintf(origin, sizeof(origin), "%s:%u", st->name, st->line);
	if (!*section) {
		heed_err_set(st->err, HEED_ECONFIG,
			     "%s: key '%s' is outside any [section]", origin,
			     name);
		st->failed = true;
		return 1;
	}
	if (cfg_put(st->cfg, section, name, value, origin, true, st->err))
		st->failed = true;
	return 1;
}

static struct heed_cfg *cfg_new(const struct heed_cfg_key *keys)
{
	struct heed_cfg *cfg = xcalloc(1, sizeof(*cfg));

	cfg->keys = keys;
	return cfg;
}

/* Named sections must carry their REQUIRED keys. */
static int check_required(struct heed_cfg *cfg, struct heed_err *err)
{
	for (size_t i = 0; i < cfg->nnamed; i++) {
		for (const struct heed_cfg_key *k = cfg->keys; k->name; k++) {
			if (!(k->flags & HEED_CFG_REQUIRED) ||
			    !section_matches(k->section, cfg->named[i]))
				continue;
			if (!find_entry(cfg, cfg->named[i], k->name))
				return heed_err_set(err, HEED_ECONFIG,
						    "%s: section '[%s]' needs '%s'",
						    cfg->path ? cfg->path : "config",
						    cfg->named[i], k->name);
		}
	}
	return HEED_OK;
}

struct heed_cfg *heed_cfg_parse(const struct heed_cfg_key *keys,
				const char *name, FILE *in,
				struct heed_err *err)
{
	struct heed_cfg *cfg = cfg_new(keys);
	struct parse_state st = { cfg, name, in, 0, false, err, false };
	int rc;

	cfg->path = xstrdup(name);
	rc = ini_parse_stream(reader, &st, handler, &st);
	if (st.failed)
		goto fail;
	if (st.too_long) {
		heed_err_set(err, HEED_ECONFIG, "%s: a line is too long",
			     name);
		goto fail;
	}
	if (rc > 0) {
		heed_err_set(err, HEED_ECONFIG,
			     "%s:%d: cannot parse line (expected [section] or key = value)",
			     name, rc);
		goto fail;
	}
	if (rc < 0) {
		heed_err_set(err, HEED_EIO, "%s: cannot read", name);
		goto fail;
	}
	if (check_required(cfg, err))
		goto fail;
	return cfg;
fail:
	heed_cfg_free(cfg);
	return NULL;
}

/* HEED_<SECTION>_<NAME> for every key of a fixed section. */
static int apply_env(struct heed_cfg *cfg, char *const *env,
		     struct heed_err *err)
{
	char var[128];

	for (const struct heed_cfg_key *k = cfg->keys; k->name && env; k++) {
		size_t n;
		const char *v = NULL;

		if (is_named_pattern(k->section))
			continue;
		snprintf(var, sizeof(var), "HEED_%s_%s=", k->section, k->name);
		for (char *p = var; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		n = strlen(var);
		for (char *const *e = env; *e; e++)
			if (!strncmp(*e, var, n))
				v = *e + n;
		if (!v)
			continue;
		var[n - 1] = '\0';
		if (cfg_put(cfg, k->section, k->name, v, var, false, err))
			return HEED_ECONFIG;
	}
	return HEED_OK;
}

static bool file_exists(const char *p)
{
	struct stat st;

	return !stat(p, &st);
}

struct heed_cfg *heed_cfg_load(const struct heed_cfg_key *keys,
			       const char *path, char *const *env,
			       struct heed_err *err)
{
	const char *envpath = NULL;
	struct heed_cfg *cfg;
	struct stat st;
	FILE *in;

	for (char *const *e = env; e && *e; e++)
		if (!strncmp(*e, "HEED_CONFIG=", 12) && (*e)[12])
			envpath = *e + 12;
	if (!path && envpath)
		path = envpath;
	if (!path) {
		if (file_exists("heed.conf"))
			path = "heed.conf";
		else if (file_exists("/etc/heed/heed.conf"))
			path = "/etc/heed/heed.conf";
	}
	if (path) {
		in = fopen(path, "r");
		if (!in) {
			heed_err_set(err, HEED_ECONFIG, "cannot open '%s': %s",
				     path, strerror(errno));
			return NULL;
		}
		if (fstat(fileno(in), &st) || !S_ISREG(st.st_mode)) {
			heed_err_set(err, HEED_ECONFIG, "'%s' is not a regular file",
				     path);
			fclose(in);
			return NULL;
		}
		cfg = heed_cfg_parse(keys, path, in, err);
		fclose(in);
		if (!cfg)
			return NULL;
	} else {
		cfg = cfg_new(keys);
	}
	if (apply_env(cfg, env, err)) {
		heed_cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

void heed_cfg_free(struct heed_cfg *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nents; i++) {
		struct cfg_entry *e = &cfg->ents[i];

		free(e->section);
		free(e->value);
		free(e->origin);
		for (size_t j = 0; j < e->nitems; j++)
			free(e->items[j]);
		free(e->items);
	}
	for (size_t i = 0; i < cfg->nnamed; i++)
		free(cfg->named[i]);
	free(cfg->named);
	free(cfg->scratch);
	free(cfg->ents);
	free(cfg->path);
	free(cfg);
}

const char *heed_cfg_path(const struct heed_cfg *cfg)
{
	return cfg->path;
}

/* ---- getters ---------------------------------------------------------- */

static void type_bug(const char *section, const char *name)
{
	fprintf(stderr, "BUG: config key [%s] %s used with the wrong type or missing from the table\n",
		section, name);
	abort();
}

/* The raw text of a key: the set value or the default. */
static const char *raw(const struct heed_cfg *cfg, const char *section,
		       const char *name, enum heed_cfg_type type,
		       const struct cfg_entry **ep)
{
	const struct heed_cfg_key *k = find_key(cfg->keys, section, name);
	const struct cfg_entry *e;

	if (!k || k->type != type)
		type_bug(section, name);
	e = find_entry(cfg, section, name);
	if (ep)
		*ep = e;
	return e ? e->value : k->def;
}

const char *heed_cfg_str(const struct heed_cfg *cfg, const char *section,
			 const char *name)
{
	const struct heed_cfg_key *k = find_key(cfg->keys, section, name);

	if (k && k->type == HEED_CFG_ENUM)
		return raw(cfg, section, name, HEED_CFG_ENUM, NULL);
	return raw(cfg, section, name, HEED_CFG_STR, NULL);
}

int64_t heed_cfg_int(const struct heed_cfg *cfg, const char *section,
		     const char *name)
{
	const char *v = raw(cfg, section, name, HEED_CFG_INT, NULL);
	int64_t i = 0;

	if (v && heed_parse_int(v, &i))
		i = 0;
	return i;
}

double heed_cfg_double(const struct heed_cfg *cfg, const char *section,
		       const char *name)
{
	const char *v = raw(cfg, section, name, HEED_CFG_DOUBLE, NULL);
	double d = 0;

	if (v && parse_double(v, &d))
		d = 0;
	return d;
}

bool heed_cfg_bool(const struct heed_cfg *cfg, const char *section,
		   const char *name)
{
	const char *v = raw(cfg, section, name, HEED_CFG_BOOL, NULL);
	bool b = false;

	if (v && heed_parse_bool(v, &b))
		b = false;
	return b;
}

int64_t heed_cfg_duration_ms(const struct heed_cfg *cfg, const char *section,
			     const char *name)
{
	const char *v = raw(cfg, section, name, HEED_CFG_DURATION, NULL);
	int64_t ms = 0;

	if (v && heed_parse_duration_ms(v, &ms))
		ms = 0;
	return ms;
}

uint64_t heed_cfg_size(const struct heed_cfg *cfg, const char *section,
		       const char *name)
{
	const char *v = raw(cfg, section, name, HEED_CFG_SIZE, NULL);
	uint64_t u = 0;

	if (v && heed_parse_size(v, &u))
		u = 0;
	return u;
}

const char *const *heed_cfg_list(const struct heed_cfg *cfg,
				 const char *section, const char *name,
				 size_t *n)
{
	static const char *const none[] = { NULL };
	const struct cfg_entry *e;
	const char *def = raw(cfg, section, name, HEED_CFG_LIST, &e);

	if (!e && def && *def) {
		/* defaults of list keys are materialised on first use */
		struct heed_cfg *mut = (struct heed_cfg *)cfg;

		if (cfg_put(mut, section, name, def, "default", false, NULL))
			type_bug(section, name);
		e = find_entry(cfg, section, name);
	}
	if (!e || !e->nitems) {
		*n = 0;
		return none;
	}
	*n = e->nitems;
	return (const char *const *)e->items;
}

bool heed_cfg_is_set(const struct heed_cfg *cfg, const char *section,
		     const char *name)
{
	const struct cfg_entry *e = find_entry(cfg, section, name);

	return e && strcmp(e->origin, "default");
}

const char *const *heed_cfg_sections(const struct heed_cfg *cfg,
				     const char *kind, size_t *n)
{
	struct heed_cfg *mut = (struct heed_cfg *)cfg;
	size_t klen = strlen(kind), count = 0;

	free(mut->scratch);
	mut->scratch = xcalloc(cfg->nnamed + 1, sizeof(*mut->scratch));
	for (size_t i = 0; i < cfg->nnamed; i++)
		if (!strncmp(cfg->named[i], kind, klen) &&
		    cfg->named[i][klen] == '.')
			mut->scratch[count++] = cfg->named[i] + klen + 1;
	*n = count;
	return mut->scratch;
}

/* ---- writers ---------------------------------------------------------- */

static void write_bounds(const struct heed_cfg_key *k, FILE *out)
{
	switch (k->type) {
	case HEED_CFG_INT:
	case HEED_CFG_DOUBLE:
		fprintf(out, " (%s, %g to %g)", type_name(k->type), k->min,
			k->max);
		break;
	case HEED_CFG_SIZE:
		fprintf(out, " (size, %.0f to %.0f bytes)", k->min, k->max);
		break;
	case HEED_CFG_DURATION:
		fprintf(out, " (duration, %gs to %gs)", k->min, k->max);
		break;
	case HEED_CFG_ENUM:
		fprintf(out, " (one of %s)", k->choices);
		break;
	default:
		fprintf(out, " (%s)", type_name(k->type));
	}
	if (k->flags & HEED_CFG_REQUIRED)
		fputs(" required", out);
	if (k->flags & HEED_CFG_RELOADABLE)
		fputs(" reloadable", out);
}

void heed_cfg_write_defaults(const struct heed_cfg_key *keys, FILE *out)
{
	const char *cur = NULL;

	fputs("# heed configuration: every key with its default.\n"
	      "# Generated by `heed config --defaults`; CI checks that\n"
	      "# etc/heed.conf.example matches it. Uncomment to change.\n"
	      "# Durations: 500ms 30s 5m 2h 1d. Sizes: 512k 8M 1G.\n"
	      "# A ';' starts a comment anywhere on a line; '#' at its start.\n"
	      "# Environment overrides: HEED_<SECTION>_<KEY>, e.g. HEED_LOG_LEVEL.\n",
	      out);
	for (const struct heed_cfg_key *k = keys; k->name; k++) {
		if (!cur || strcmp(cur, k->section)) {
			cur = k->section;
			if (is_named_pattern(cur))
				fprintf(out, "\n# [%.*s.NAME] may appear any number of times\n#[%.*s.example]\n",
					(int)strlen(cur) - 2, cur,
					(int)strlen(cur) - 2, cur);
			else
				fprintf(out, "\n[%s]\n", cur);
		}
		fprintf(out, "# %s", k->help);
		write_bounds(k, out);
		fputc('\n', out);
		fprintf(out, "#%s = %s\n", k->name, k->def ? k->def : "");
	}
}

void heed_cfg_write_effective(const struct heed_cfg *cfg, FILE *out)
{
	for (const struct heed_cfg_key *k = cfg->keys; k->name; k++) {
		if (is_named_pattern(k->section)) {
			for (size_t i = 0; i < cfg->nents; i++) {
				const struct cfg_entry *e = &cfg->ents[i];

				if (e->key == k)
					fprintf(out, "%s.%s = %s\t; %s\n",
						e->section, k->name, e->value,
						e->origin);
			}
			continue;
		}
		const struct cfg_entry *e = find_entry(cfg, k->section,
						       k->name);
		fprintf(out, "%s.%s = %s\t; %s\n", k->section, k->name,
			e ? e->value : (k->def ? k->def : ""),
			e ? e->origin : "default");
	}
}

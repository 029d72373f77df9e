/* template.h: saved replies. A template body is text with placeholders
 * {{name}} (spaces inside the braces allowed; names are lowercase letters,
 * digits and '_', starting with a letter). heed fills {{author}}, {{agent}},
 * {{brand}} and {{case}}; the agent may pass any other with --var. A
 * placeholder without a value, or with an empty one, is an error: a public
 * reply never goes out with a hole in it. Pure functions, no I/O. */
#ifndef HEED_TEMPLATE_H
#define HEED_TEMPLATE_H

#include <stddef.h>

#include "heed/err.h"

struct heed_template_var {
	const char *name;
	const char *value;
};

#define HEED_TEMPLATE_NAME_MAX 32	/* longest placeholder name */

/* Check the placeholder syntax of body: every "{{" opens a well-formed
 * placeholder and no stray "}}" is left. HEED_EPARSE with the byte offset in
 * err otherwise. Thread-safe. */
int heed_template_check(const char *body, struct heed_err *err) HEED_MUSTCHECK;

/* Fill body's placeholders from vars (nvars entries; when a name appears
 * twice the later entry wins, so flags can override defaults). On success
 * *out is an allocated string (free it). Values are inserted as they are
 * (they are not expanded again). Errors: HEED_EPARSE (syntax), HEED_EINVAL
 * "no value for {{name}}" or "empty value for {{name}}"; *out is then NULL.
 * Thread-safe. */
int heed_template_render(const char *body, const struct heed_template_var *vars,
			 size_t nvars, char **out, struct heed_err *err)
	HEED_MUSTCHECK;

/* The distinct placeholder names of body in order of first use, separated
 * by ", ", as an allocated string (free it); "" when none or on bad syntax. */
char *heed_template_names(const char *body);

#endif

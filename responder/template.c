/* template.c: parse and fill reply templates (see heed/template.h). One
 * scanner serves check, render and names, so the three agree on syntax. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "heed/buf.h"
#include "heed/template.h"
#include "heed/xalloc.h"

/* One step of the scan: the literal text before the next placeholder, and
 * the placeholder's name (empty at the end of the body). */
struct tok {
	const char *lit;
	size_t litlen;
	char name[HEED_TEMPLATE_NAME_MAX + 1];
	const char *next;	/* where the following step starts */
};

static bool name_start(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '_';
}

/* Scan from p. Returns HEED_OK with t filled, or HEED_EPARSE. */
static int scan(const char *body, const char *p, struct tok *t,
		struct heed_err *err)
{
	const char *open = strstr(p, "{{"), *close = strstr(p, "}}");
	const char *q;
	size_t n = 0;

	t->lit = p;
	t->name[0] = '\0';
	if (close && (!open || close < open))
		return heed_err_set(err, HEED_EPARSE,
				    "stray '}}' at byte %zu of the template",
				    (size_t)(close - body));
	if (!open) {
		t->litlen = strlen(p);
		t->next = p + t->litlen;
		return HEED_OK;
	}
	t->litlen = (size_t)(open - p);
	q = open + 2;
	while (*q == ' ')
		q++;
	if (!name_start(*q))
		goto bad;
	while (name_char(*q)) {
		if (n == HEED_TEMPLATE_NAME_MAX)
			goto bad;
		t->name[n++] = *q++;
	}
	t->name[n] = '\0';
	while (*q == ' ')
		q++;
	if (q[0] != '}' || q[1] != '}')
		goto bad;
	t->next = q + 2;
	return HEED_OK;
bad:
	return heed_err_set(err, HEED_EPARSE,
			    "bad placeholder at byte %zu of the template: use {{name}}",
			    (size_t)(open - body));
}

int heed_template_check(const char *body, struct heed_err *err)
{
	const char *p = body;
	struct tok t;

	while (*p) {
		int rc = scan(body, p, &t, err);

		if (rc)
			return rc;
		p = t.next;
	}
	return HEED_OK;
}

static const char *lookup(const struct heed_template_var *vars, size_t nvars,
			  const char *name)
{
	for (size_t i = nvars; i > 0; i--)
		if (vars[i - 1].name && !strcmp(vars[i - 1].name, name))
			return vars[i - 1].value;
	return NULL;
}

int heed_template_render(const char *body, const struct heed_template_var *vars,
			 size_t nvars, char **out, struct heed_err *err)
{
	struct heed_buf b;
	const char *p = body;
	int rc = HEED_OK;

	*out = NULL;
	heed_buf_init(&b, 0);
	while (*p) {
		struct tok t;
		const char *v;

		rc = scan(body, p, &t, err);
		if (rc)
			goto out_release;
		if (heed_buf_add(&b, t.lit, t.litlen))
			abort();	/* no cap: cannot fail */
		if (t.name[0]) {
			v = lookup(vars, nvars, t.name);
			if (!v) {
				rc = heed_err_set(err, HEED_EINVAL,
						  "no value for {{%s}}", t.name);
				goto out_release;
			}
			if (!v[strspn(v, " \t\n")]) {
				rc = heed_err_set(err, HEED_EINVAL,
						  "empty value for {{%s}}", t.name);
				goto out_release;
			}
			if (heed_buf_adds(&b, v))
				abort();
		}
		p = t.next;
	}
	*out = heed_buf_detach(&b, NULL);
	return HEED_OK;
out_release:
	heed_buf_release(&b);
	return rc;
}

char *heed_template_names(const char *body)
{
	char seen[64][HEED_TEMPLATE_NAME_MAX + 1];
	size_t nseen = 0;
	struct heed_buf b;
	const char *p = body;

	heed_buf_init(&b, 0);
	while (*p) {
		struct tok t;
		bool dup = false;

		if (scan(body, p, &t, NULL)) {
			heed_buf_reset(&b);
			break;
		}
		p = t.next;
		if (!t.name[0])
			continue;
		for (size_t i = 0; i < nseen && !dup; i++)
			dup = !strcmp(seen[i], t.name);
		if (dup)
			continue;
		if (nseen < sizeof(seen) / sizeof(seen[0]))
			memcpy(seen[nseen++], t.name, sizeof(t.name));
		if (heed_buf_addf(&b, "%s%s", heed_buf_len(&b) ? ", " : "",
				  t.name))
			abort();
	}
	return heed_buf_detach(&b, NULL);
}

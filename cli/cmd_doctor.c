/* cmd_doctor.c: `heed doctor`: check each thing heed needs and say, for each,
 * OK or FAIL with what to do. Later components add their checks here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heed/db.h"
#include "heed/migrate.h"
#include "heed/poll.h"
#include "heed/respond.h"
#include "heed/source.h"
#include "heed/xalloc.h"

const char cmd_doctor_usage[] =
	"usage: heed doctor\n"
	"\n"
	"Check the configuration, the database (reachable, schema migrated, the\n"
	"role's rights), each [source.NAME]'s credentials, and for each brand and\n"
	"platform it watches (or acknowledges on) the account heed respond posts\n"
	"replies from. Prints one OK or FAIL line per check with what to do;\n"
	"exits 1 when any check fails.\n";

struct doctor {
	unsigned fails;
};

static void line(struct doctor *d, bool ok, const char *what,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void line(struct doctor *d, bool ok, const char *what,
		 const char *fmt, ...)
{
	va_list ap;

	printf("%-4s %-10s ", ok ? "OK" : "FAIL", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		d->fails++;
}

static const struct heed_stmt st_whoami = {
	"doctor_whoami",
	"SELECT current_user, current_database(),"
	" current_setting('server_version'),"
	" (SELECT string_agg(b.rolname, ',' ORDER BY b.rolname)"
	"  FROM pg_roles b WHERE b.rolname LIKE 'heed\\_%'"
	"  AND pg_has_role(current_user, b.oid, 'member'))",
	0, true,
};

static void check_db(struct doctor *d, struct heed_cfg *cfg)
{
	struct heed_migrate_row *rows = NULL;
	struct heed_err err;
	struct heed_db *db;
	size_t n = 0, pending = 0, edited = 0;
	PGresult *res;
	struct heed_db_opts o = {
		.conninfo = heed_cfg_str(cfg, "database", "conninfo"),
		.connect_timeout_ms = heed_cfg_duration_ms(cfg, "database",
							   "connect_timeout"),
		.retries = 0,	/* a doctor reports, it does not wait */
		.application_name = "heed doctor",
	};

	heed_err_clear(&err);
	db = heed_db_open(&o, &err);
	if (!db) {
		line(d, false, "database", "%s; set PGHOST/PGDATABASE/PGUSER or [database] conninfo",
		     heed_err_msg(&err));
		return;
	}
	res = heed_db_exec(db, &st_whoami, NULL, &err);
	if (res) {
		const char *roles = PQgetisnull(res, 0, 3) ? "" : PQgetvalue(res, 0, 3);

		line(d, true, "database", "connected to '%s' as '%s' (PostgreSQL %s)%s%s",
		     PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0),
		     PQgetvalue(res, 0, 2), *roles ? "; member of " : "", roles);
		PQclear(res);
	} else {
		line(d, false, "database", "%s", heed_err_msg(&err));
	}
	if (heed_migrate_status(db, heed_migrations, &rows, &n, &err)) {
		line(d, false, "schema", "%s", heed_err_msg(&err));
		goto out_free_db;
	}
	for (size_t i = 0; i < n; i++) {
		pending += !rows[i].applied;
		edited += rows[i].edited;
	}
	if (edited)
		line(d, false, "schema", "%zu applied migration(s) were edited since; restore them from the release", edited);
	else if (pending)
		line(d, false, "schema", "%zu of %zu migration(s) pending; run 'heed db migrate'",
		     pending, n);
	else
		line(d, true, "schema", "%zu migration(s) applied, none pending", n);
	free(rows);
out_free_db:
	heed_db_free(db);
}

/* One line per source: loads (its secrets are readable) and has the
 * credentials its platform and kind need. Sources that load go to *out
 * (caller frees each and the array). */
static void check_sources(struct doctor *d, const struct heed_cfg *cfg,
			  struct heed_source ***out, size_t *nout)
{
	const char *const *v = heed_cfg_sections(cfg, "source", nout);
	size_t nn = *nout;
	char **names = xcalloc(nn + 1, sizeof(*names));

	/* copied: loading a source asks for the brands' sections again */
	for (size_t i = 0; i < nn; i++)
		names[i] = xstrdup(v[i]);
	*out = xcalloc(nn + 1, sizeof(**out));
	*nout = 0;
	if (!nn)
		line(d, true, "sources", "none configured: heed poll has nothing to watch");
	for (size_t i = 0; i < nn; i++) {
		struct heed_source **one;
		const char *lacks;
		struct heed_err err;
		size_t k;

		heed_err_clear(&err);
		one = heed_sources_from_cfg(cfg, names[i], &k, &err);
		if (!one) {
			line(d, false, "source", "%s", heed_err_msg(&err));
			continue;
		}
		lacks = one[0]->ops->lacks ? one[0]->ops->lacks(one[0]) : NULL;
		if (lacks)
			line(d, false, "source", "%s (%s %s): needs %s", names[i],
			     one[0]->ops->platform, one[0]->kind, lacks);
		else
			line(d, true, "source", "%s (%s %s, brand %s): %s", names[i],
			     one[0]->ops->platform, one[0]->kind, one[0]->brand,
			     one[0]->secret || one[0]->client_secret
			     ? "credentials present" : "no credentials needed");
		(*out)[(*nout)++] = one[0];
		free(one);
	}
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
}

static bool listed(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

/* For each brand and each platform it has a source on or acknowledges on:
 * the account replies are posted from, or FAIL when there is none. */
static void check_posters(struct doctor *d, const struct heed_cfg *cfg,
			  struct heed_source *const *srcs, size_t n)
{
	size_t nb;
	/* only heed_cfg_sections reuses its result, and the loop never calls it */
	const char *const *brands = heed_cfg_sections(cfg, "brand", &nb);

	for (size_t b = 0; b < nb; b++) {
		char *sec = xasprintf("brand.%s", brands[b]);
		size_t nack;
		const char *const *ack = heed_cfg_list(cfg, sec, "auto_ack", &nack);

		for (size_t p = 0; heed_source_ops_all[p]; p++) {
			const char *plat = heed_source_ops_all[p]->platform;
			const struct heed_source *poster;
			bool watched = false, acks = listed(ack, nack, plat);

			for (size_t i = 0; i < n; i++)
				watched |= !strcmp(srcs[i]->brand, brands[b]) &&
					   !strcmp(srcs[i]->ops->platform, plat);
			if (!watched && !acks)
				continue;
			poster = heed_respond_poster(srcs, n, brands[b], plat);
			if (!heed_respond_can_post(plat))
				line(d, true, "replies", "%s on %s: heed cannot post there; agents"
				     " answer on the platform, then run heed record-reply",
				     brands[b], plat);
			else if (poster)
				line(d, true, "replies", "%s on %s: posted as %s ([source.%s])",
				     brands[b], plat, heed_respond_poster_name(poster), poster->name);
			else
				line(d, false, "replies", "%s on %s: no [source.*] of this brand and"
				     " platform has credentials to post with, so replies%s stay"
				     " queued; give one a secret_env or secret_file",
				     brands[b], plat, acks ? " and auto_ack" : "");
		}
		free(sec);
	}
}

int cmd_doctor(struct cli_ctx *ctx, int argc, char **argv)
{
	struct doctor d = { 0 };
	struct heed_source **srcs;
	struct heed_cfg *cfg;
	size_t n;

	(void)argv;
	if (argc > 1)
		return cli_bad_usage(ctx, "doctor takes no arguments");
	cfg = cli_config(ctx);
	if (!cfg) {
		line(&d, false, "config", "fix the file named above; 'heed config --defaults' lists every key");
		return CLI_FAIL;
	}
	line(&d, true, "config", "%s", heed_cfg_path(cfg) ? heed_cfg_path(cfg)
			: "no file found ($HEED_CONFIG, ./heed.conf, /etc/heed/heed.conf); using defaults");
	check_db(&d, cfg);
	check_sources(&d, cfg, &srcs, &n);
	check_posters(&d, cfg, srcs, n);
	for (size_t i = 0; i < n; i++)
		heed_source_free(srcs[i]);
	free(srcs);
	if (d.fails)
		printf("%u check(s) failed\n", d.fails);
	else
		printf("all checks passed\n");
	return d.fails ? CLI_FAIL : CLI_OK;
}

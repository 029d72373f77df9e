/* cfg_keys.c: the one table of every configuration key heed knows. Adding a
 * key means adding a row here and regenerating etc/heed.conf.example with
 * `heed config --defaults` (a test keeps the two equal). */
#include <stddef.h>

#include "heed/cfg.h"

#define R HEED_CFG_RELOADABLE

const struct heed_cfg_key heed_cfg_keys[] = {
	{ "log", "level", HEED_CFG_ENUM, "info", 0, 0, "error|warn|info|debug", R,
	  "least severe level written to stderr" },

	{ "database", "conninfo", HEED_CFG_STR, "", 0, 0, NULL, 0,
	  "libpq connection string or URI; empty uses PGHOST, PGDATABASE, ... and pg_service.conf" },
	{ "database", "connect_timeout", HEED_CFG_DURATION, "10s", 1, 600, NULL, 0,
	  "give up one connection attempt after this long" },
	{ "database", "connect_retries", HEED_CFG_INT, "5", 0, 1000, NULL, 0,
	  "attempts to (re)connect, with exponential backoff, before an error" },
	{ "database", "retry_max_wait", HEED_CFG_DURATION, "30s", 0.01, 3600, NULL, 0,
	  "longest wait between two connection attempts" },

	{ "http", "connect_timeout", HEED_CFG_DURATION, "10s", 0.1, 120, NULL, R,
	  "give up connecting to a platform after this long" },
	{ "http", "timeout", HEED_CFG_DURATION, "30s", 0.1, 600, NULL, R,
	  "give up a whole request (connect, send, receive) after this long" },
	{ "http", "max_body", HEED_CFG_SIZE, "8M", 1024, 1073741824.0, NULL, R,
	  "largest response body accepted; larger ones are cut off and refused" },
	{ "http", "user_agent", HEED_CFG_STR, "heed/0.1", 0, 0, NULL, R,
	  "User-Agent sent to platforms (Reddit wants platform:app:version (by /u/you))" },

	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL },
};

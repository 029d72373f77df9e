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

	{ "poll", "interval", HEED_CFG_DURATION, "30s", 1, 86400, NULL, R,
	  "starting interval between two polls of a source" },
	{ "poll", "min_interval", HEED_CFG_DURATION, "5s", 1, 86400, NULL, R,
	  "a busy source is polled at most this often" },
	{ "poll", "max_interval", HEED_CFG_DURATION, "5m", 1, 86400, NULL, R,
	  "a quiet source is polled at least this often" },
	{ "poll", "budget_share", HEED_CFG_DOUBLE, "0.8", 0.01, 1, NULL, R,
	  "part of each platform's rate limit heed may use; the rest stays free for other tools" },
	{ "poll", "max_pages", HEED_CFG_INT, "200", 1, 100000, NULL, R,
	  "pages fetched from one source in one cycle before the others get a turn" },
	{ "poll", "max_sleep", HEED_CFG_DURATION, "60s", 1, 3600, NULL, R,
	  "longest single sleep; longer waits (a rate-limit reset) are slept in parts" },
	{ "poll", "backoff_max", HEED_CFG_DURATION, "15m", 1, 86400, NULL, R,
	  "longest wait after repeated errors (exponential backoff with jitter)" },
	{ "poll", "backfill", HEED_CFG_DURATION, "1h", 0, 604800, NULL, R,
	  "how far back a new source starts (heed poll --since overrides)" },

	{ "sla", "first_response", HEED_CFG_DURATION, "30m", 60, 604800, NULL, R,
	  "a case's first human reply is due this long after the customer's post" },

	{ "cases", "join_window", HEED_CFG_DURATION, "2h", 0, 2592000, NULL, R,
	  "a customer's post in another thread joins their live case opened within this window" },

	{ "queue", "lease", HEED_CFG_DURATION, "5m", 1, 43200, NULL, R,
	  "a claim is a lease: unless renewed (heed claim ID again) the case returns to the queue after this long" },
	{ "queue", "assign_lease", HEED_CFG_DURATION, "30m", 1, 43200, NULL, R,
	  "lease of a case handed to another agent with heed assign" },
	{ "queue", "list_limit", HEED_CFG_INT, "100", 0, 1000000, NULL, R,
	  "rows heed queue shows at most (--limit overrides); 0 shows every case" },

	{ "reply", "max_len_bluesky", HEED_CFG_INT, "300", 1, 100000, NULL, R,
	  "longest reply heed queues for Bluesky, in graphemes (Bluesky also caps 3000 bytes)" },
	{ "reply", "max_len_mastodon", HEED_CFG_INT, "500", 1, 100000, NULL, R,
	  "longest reply for Mastodon, in graphemes, a link counting 23 (raise it if your server allows more)" },
	{ "reply", "max_len_reddit", HEED_CFG_INT, "10000", 1, 100000, NULL, R,
	  "longest reply for Reddit, in characters" },
	{ "reply", "max_len_x", HEED_CFG_INT, "280", 1, 100000, NULL, R,
	  "longest reply for X, in weighted characters (CJK and emoji count 2, a link 23)" },

	{ "brand.*", "own_accounts", HEED_CFG_LIST, NULL, 0, 0, NULL, R,
	  "the brand's own handles on any platform; their posts never become cases" },
	{ "brand.*", "exclude", HEED_CFG_LIST, NULL, 0, 0, NULL, R,
	  "posts containing any of these terms (any case) are not the brand's: dropped" },

	{ "source.*", "platform", HEED_CFG_ENUM, NULL, 0, 0, "mastodon|bluesky|reddit|x|hn", HEED_CFG_REQUIRED,
	  "which platform" },
	{ "source.*", "kind", HEED_CFG_STR, NULL, 0, 0, NULL, HEED_CFG_REQUIRED,
	  "endpoint: mastodon tag|mentions|search, bluesky search|mentions, reddit search|comments|mentions, x search|mentions, hn search" },
	{ "source.*", "brand", HEED_CFG_STR, NULL, 0, 0, NULL, HEED_CFG_REQUIRED,
	  "the [brand.NAME] this source watches" },
	{ "source.*", "queries", HEED_CFG_LIST, NULL, 0, 0, NULL, 0,
	  "search terms, hashtags or subreddits, as the kind needs" },
	{ "source.*", "base_url", HEED_CFG_STR, NULL, 0, 0, NULL, 0,
	  "API base URL; empty uses the platform's (tests point it at the fake server)" },
	{ "source.*", "account", HEED_CFG_STR, NULL, 0, 0, NULL, 0,
	  "the brand's account on this platform (handle, DID or numeric id)" },
	{ "source.*", "page_size", HEED_CFG_INT, "0", 0, 1000, NULL, 0,
	  "items per request; 0 uses the platform's maximum" },
	{ "source.*", "user", HEED_CFG_STR, NULL, 0, 0, NULL, 0,
	  "login name: Bluesky handle, Reddit username" },
	{ "source.*", "secret_env", HEED_CFG_STR, NULL, 0, 0, NULL, 0,
	  "environment variable holding the token or password" },
	{ "source.*", "secret_file", HEED_CFG_STR, NULL, 0, 0, NULL, 0,
	  "file (mode 0600) holding the token or password" },
	{ "source.*", "client_id", HEED_CFG_STR, NULL, 0, 0, NULL, 0,
	  "Reddit script app id" },
	{ "source.*", "client_secret_env", HEED_CFG_STR, NULL, 0, 0, NULL, 0,
	  "environment variable holding the Reddit app secret" },
	{ "source.*", "client_secret_file", HEED_CFG_STR, NULL, 0, 0, NULL, 0,
	  "file (mode 0600) holding the Reddit app secret" },

	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL },
};

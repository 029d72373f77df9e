/* log.h: one line per event, "ts level prog=... key=value msg", on stderr
 * by default so that systemd/journald collects it. The level is checked before
 * any formatting. Programs set the prefix (prog=poll src=reddit-brand) once;
 * library code logs through here and never prints otherwise.
 *
 * Never pass secrets or full mention text at info level: mention text is
 * user data. heed_log_value() makes an arbitrary string safe for a line. */
#ifndef HEED_LOG_H
#define HEED_LOG_H

#include <stddef.h>

#include "heed/err.h"

enum heed_log_level {
	HEED_LOG_ERROR = 0,
	HEED_LOG_WARN = 1,
	HEED_LOG_INFO = 2,
	HEED_LOG_DEBUG = 3,
};

/* Where formatted lines go. line has no trailing newline. */
typedef void heed_log_sink_fn(void *arg, int level, const char *line);

/* Process-wide logger state. Written only from main() and tests at start-up;
 * not thread-safe against concurrent changes. */
extern int heed_log_level_cur;

void heed_log_set_level(int level);
/* Parse "error", "warn", "info" or "debug"; -1 if unknown. */
int heed_log_level_parse(const char *s);
const char *heed_log_level_name(int level);
/* Set the stable key=value prefix of every line (copied; NULL clears). */
void heed_log_set_prefix(const char *prefix);
/* Replace the sink (NULL restores stderr). arg is passed back unchanged. */
void heed_log_set_sink(heed_log_sink_fn *fn, void *arg);

void heed_log_emit(int level, const char *fmt, ...) HEED_PRINTF(2, 3);

#define heed_log(level, ...)						\
	do {								\
		if ((level) <= heed_log_level_cur)			\
			heed_log_emit((level), __VA_ARGS__);		\
	} while (0)
#define heed_log_error(...) heed_log(HEED_LOG_ERROR, __VA_ARGS__)
#define heed_log_warn(...) heed_log(HEED_LOG_WARN, __VA_ARGS__)
#define heed_log_info(...) heed_log(HEED_LOG_INFO, __VA_ARGS__)
#define heed_log_debug(...) heed_log(HEED_LOG_DEBUG, __VA_ARGS__)

/* Copy s into out (size outsz, always NUL-terminated) so that it is safe as
 * one log value: control characters become \xNN, quotes and backslashes are
 * escaped, and it is cut at outsz with "..." . Returns out. */
char *heed_log_value(char *out, size_t outsz, const char *s);

#endif

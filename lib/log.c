/* log.c: leveled key=value line logger (see heed/log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heed/log.h"
#include "heed/xalloc.h"

int heed_log_level_cur = HEED_LOG_INFO;

static char *log_prefix;
static heed_log_sink_fn *log_sink;
static void *log_sink_arg;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void heed_log_set_level(int level)
{
	if (level < HEED_LOG_ERROR)
		level = HEED_LOG_ERROR;
	if (level > HEED_LOG_DEBUG)
		level = HEED_LOG_DEBUG;
	heed_log_level_cur = level;
}

int heed_log_level_parse(const char *s)
{
	for (int i = 0; i <= HEED_LOG_DEBUG; i++)
		if (!strcmp(s, level_names[i]))
			return i;
	return -1;
}

const char *heed_log_level_name(int level)
{
	if (level < 0 || level > HEED_LOG_DEBUG)
		return "?";
	return level_names[level];
}

void heed_log_set_prefix(const char *prefix)
{
	free(log_prefix);
	log_prefix = prefix ? xstrdup(prefix) : NULL;
}

void heed_log_set_sink(heed_log_sink_fn *fn, void *arg)
{
	log_sink = fn;
	log_sink_arg = arg;
}

void heed_log_emit(int level, const char *fmt, ...)
{
	char line[2048], ts[32];
	struct timespec now;
	struct tm tm;
	size_t n;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = (size_t)snprintf(line, sizeof(line), "%s.%03ldZ %s %s%s", ts,
			     now.tv_nsec / 1000000L, heed_log_level_name(level),
			     log_prefix ? log_prefix : "", log_prefix ? " " : "");
	if (n < sizeof(line)) {
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
	}
	if (log_sink)
		log_sink(log_sink_arg, level, line);
	else
		fprintf(stderr, "%s\n", line);
}

char *heed_log_value(char *out, size_t outsz, const char *s)
{
	size_t o = 0;

	if (!outsz)
		return out;
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char tmp[5];
		size_t k;

		if (c < 0x20 || c == 0x7f)
			k = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		else if (c == '"' || c == '\\')
			k = (size_t)snprintf(tmp, sizeof(tmp), "\\%c", c);
		else
			tmp[0] = (char)c, tmp[1] = '\0', k = 1;
		if (o + k + 4 > outsz) {
			if (outsz >= 4) {
				o = o + 3 < outsz ? o : outsz - 4;
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(out + o, tmp, k);
		o += k;
	}
	out[o < outsz ? o : outsz - 1] = '\0';
	return out;
}

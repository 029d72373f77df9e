/* clock.c: the system and fake clocks, and RFC 3339 timestamps (see
 * heed/clock.h). */
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "heed/clock.h"

static int64_t timespec_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t heed_time_real_ms(void)
{
	return timespec_ms(CLOCK_REALTIME);
}

int64_t heed_time_mono_ms(void)
{
	return timespec_ms(CLOCK_MONOTONIC);
}

static int64_t system_now(void *arg)
{
	(void)arg;
	return heed_time_real_ms();
}

static int64_t system_mono(void *arg)
{
	(void)arg;
	return heed_time_mono_ms();
}

static const struct heed_clock_ops system_ops = {
	.now_ms = system_now,
	.mono_ms = system_mono,
};

static const struct heed_clock system_clock = { &system_ops, NULL };

const struct heed_clock *heed_clock_system(void)
{
	return &system_clock;
}

int64_t heed_clock_now_ms(const struct heed_clock *c)
{
	return c->ops->now_ms(c->arg);
}

int64_t heed_clock_mono_ms(const struct heed_clock *c)
{
	return c->ops->mono_ms(c->arg);
}

/* ---- fake clock ------------------------------------------------------- */

static int64_t fake_now(void *arg)
{
	struct heed_clock_fake *fc = arg;

	return __atomic_load_n(&fc->now, __ATOMIC_SEQ_CST);
}

static int64_t fake_mono(void *arg)
{
	struct heed_clock_fake *fc = arg;

	return __atomic_load_n(&fc->mono, __ATOMIC_SEQ_CST);
}

static const struct heed_clock_ops fake_ops = {
	.now_ms = fake_now,
	.mono_ms = fake_mono,
};

void heed_clock_fake_init(struct heed_clock_fake *fc, int64_t now_ms)
{
	fc->clock.ops = &fake_ops;
	fc->clock.arg = fc;
	fc->now = now_ms;
	fc->mono = 1000000;
}

void heed_clock_fake_set(struct heed_clock_fake *fc, int64_t now_ms)
{
	__atomic_store_n(&fc->now, now_ms, __ATOMIC_SEQ_CST);
}

void heed_clock_fake_advance(struct heed_clock_fake *fc, int64_t ms)
{
	if (ms <= 0)
		return;
	__atomic_add_fetch(&fc->now, ms, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&fc->mono, ms, __ATOMIC_SEQ_CST);
}

/* ---- ISO 8601 / RFC 3339 ---------------------------------------------- */

char *heed_time_format_iso8601(int64_t ms, char *buf, size_t bufsz)
{
	int64_t sec = ms / 1000, frac = ms % 1000;
	struct tm tm;
	time_t t;

	if (!bufsz)
		return buf;
	if (frac < 0) {		/* floor, so -1 ms is 23:59:59.999 */
		frac += 1000;
		sec--;
	}
	t = (time_t)sec;
	if (!gmtime_r(&t, &tm)) {
		buf[0] = '\0';
		return buf;
	}
	snprintf(buf, bufsz, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 (long long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
	return buf;
}

/* Read exactly n decimal digits at *p into *out and advance *p. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static int days_in_month(int year, int mon)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				    30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 2 && leap ? 29 : days[mon - 1];
}

/* "Z", "z", "+HH:MM", "+HHMM" or "+HH" (or '-') at *p: offset east of UTC
 * in seconds. */
static bool zone(const char **p, int *off)
{
	int sign, hh, mm = 0;

	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		*off = 0;
		return true;
	}
	if (**p != '+' && **p != '-')
		return false;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (!digits(p, 2, &hh) || hh > 23)
		return false;
	if (**p == ':') {
		(*p)++;
		if (!digits(p, 2, &mm))
			return false;
	} else if (**p >= '0' && **p <= '9') {
		if (!digits(p, 2, &mm))
			return false;
	}
	if (mm > 59)
		return false;
	*off = sign * (hh * 3600 + mm * 60);
	return true;
}

int heed_time_parse_iso8601(const char *s, int64_t *ms)
{
	int year, mon, day, hour, min, sec, off, frac = 0;
	const char *p = s;
	struct tm tm = { 0 };
	time_t t;

	if (!s)
		return HEED_EPARSE;
	if (!digits(&p, 4, &year) || !expect(&p, '-') ||
	    !digits(&p, 2, &mon) || !expect(&p, '-') ||
	    !digits(&p, 2, &day))
		return HEED_EPARSE;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return HEED_EPARSE;
	p++;
	if (!digits(&p, 2, &hour) || !expect(&p, ':') ||
	    !digits(&p, 2, &min) || !expect(&p, ':') ||
	    !digits(&p, 2, &sec))
		return HEED_EPARSE;
	if (*p == '.') {
		int n = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 3)
				frac = frac * 10 + (*p - '0');
		if (!n)
			return HEED_EPARSE;
		for (; n < 3; n++)
			frac *= 10;
	}
	if (!zone(&p, &off) || *p)
		return HEED_EPARSE;
	if (mon < 1 || mon > 12 || day < 1 ||
	    day > days_in_month(year, mon) || hour > 23 || min > 59 ||
	    sec > 60)
		return HEED_EPARSE;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*ms = ((int64_t)t - off) * 1000 + frac;
	return HEED_OK;
}

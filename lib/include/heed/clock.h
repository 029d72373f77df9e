/* clock.h: time as an injectable dependency. Code that needs "now" takes a
 * const struct heed_clock * instead of calling clock_gettime(), so tests can
 * pass a fake clock and step it; plus ISO 8601 / RFC 3339 timestamps as
 * platform APIs send them, in milliseconds since the Unix epoch (UTC). */
#ifndef HEED_CLOCK_H
#define HEED_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "heed/err.h"

/* One implementation of time. Both callbacks must be safe to call from any
 * thread; arg is the clock's own arg. */
struct heed_clock_ops {
	/* Wall-clock time in ms since 1970-01-01T00:00:00Z. It can jump
	 * (NTP, an operator): use it for timestamps, never for timeouts. */
	int64_t (*now_ms)(void *arg);
	/* Monotonic ms from an arbitrary origin; never goes backwards. Use it
	 * to measure elapsed time and compute timeouts. */
	int64_t (*mono_ms)(void *arg);
};

struct heed_clock {
	const struct heed_clock_ops *ops;
	void *arg;
};

/* The real clock (CLOCK_REALTIME / CLOCK_MONOTONIC). Static and immutable,
 * never NULL, thread-safe. */
const struct heed_clock *heed_clock_system(void);

/* Read a clock: c->ops->now_ms(c->arg) and c->ops->mono_ms(c->arg). */
int64_t heed_clock_now_ms(const struct heed_clock *c);
int64_t heed_clock_mono_ms(const struct heed_clock *c);

/* The system clocks directly, for code that has no clock to hand (main(),
 * the HTTP layer's own bookkeeping). */
int64_t heed_time_real_ms(void);
int64_t heed_time_mono_ms(void);

/* A clock that only moves when told, for tests. Lives on the caller's stack;
 * pass &fc->clock to the code under test. Reads and the set/advance calls
 * below are atomic, so a test thread may step it while another reads. */
struct heed_clock_fake {
	struct heed_clock clock;
	int64_t now;	/* touch only through the functions below */
	int64_t mono;
};

/* Start at wall time now_ms; the monotonic reading starts at an arbitrary
 * positive value. */
void heed_clock_fake_init(struct heed_clock_fake *fc, int64_t now_ms);
/* Jump the wall clock to now_ms (backwards is allowed, as with a real
 * clock); the monotonic reading does not move. */
void heed_clock_fake_set(struct heed_clock_fake *fc, int64_t now_ms);
/* Let ms (>= 0) pass: both readings move forward by ms. */
void heed_clock_fake_advance(struct heed_clock_fake *fc, int64_t ms);

/* Room for any timestamp heed_time_format_iso8601() writes, NUL included. */
#define HEED_TIME_ISO8601_SIZE 32

/* Write ms as "2020-09-08T13:25:00.019Z" (UTC, always three fraction
 * digits) into buf of bufsz bytes, which should be HEED_TIME_ISO8601_SIZE.
 * The result is always NUL-terminated (cut if bufsz is too small). Times
 * before 1970 work. Returns buf. Thread-safe. */
char *heed_time_format_iso8601(int64_t ms, char *buf, size_t bufsz);

/* Parse an RFC 3339 timestamp: "2020-09-08T13:25:00Z", with optional
 * fraction of any length (".019685", cut to ms), 'T', 't' or ' ' between
 * date and time, and zone "Z", "z", "+02:00", "-0530" or "+02". A zone is
 * required: a time without one is ambiguous. Seconds may be 60 (a leap
 * second reads as the next minute's :00). Fields are range-checked (no
 * 30 February). On success stores ms and returns HEED_OK; otherwise returns
 * HEED_EPARSE and leaves *ms alone. Thread-safe. */
int heed_time_parse_iso8601(const char *s, int64_t *ms) HEED_MUSTCHECK;

#endif

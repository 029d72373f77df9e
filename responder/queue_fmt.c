/* queue_fmt.c: the pure part of the queue module (see heed/queue.h): how
 * time left is written and how urgent it looks. No SQL here. */
#include <stdint.h>
#include <stdio.h>

#include "heed/queue.h"

char *heed_queue_fmt_left(int64_t secs, char *buf, size_t n)
{
	const char *sign = secs < 0 ? "-" : "";
	uint64_t a = secs < 0 ? (uint64_t)-(secs + 1) + 1 : (uint64_t)secs;

	if (a < 3600)
		snprintf(buf, n, "%s%u:%02u", sign, (unsigned)(a / 60),
			 (unsigned)(a % 60));
	else if (a < 86400)
		snprintf(buf, n, "%s%uh%02um", sign, (unsigned)(a / 3600),
			 (unsigned)(a % 3600 / 60));
	else
		snprintf(buf, n, "%s%llud%02uh", sign,
			 (unsigned long long)(a / 86400),
			 (unsigned)(a % 86400 / 3600));
	return buf;
}

int heed_queue_left_level(int64_t secs)
{
	if (secs < 0)
		return 2;
	return secs < 600 ? 1 : 0;
}

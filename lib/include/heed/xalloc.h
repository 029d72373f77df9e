/* xalloc.h: allocation that aborts on failure. heed is a set of programs, not
 * an embeddable library, so running out of memory is fatal (as in tmux and
 * git); this removes an error path from every caller. */
#ifndef HEED_XALLOC_H
#define HEED_XALLOC_H

#include <stddef.h>

#include "heed/err.h"

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow an array of nmemb elements of size, checking for overflow. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Allocate a formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) HEED_PRINTF(1, 2);

#endif

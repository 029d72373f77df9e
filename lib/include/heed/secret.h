/* secret.h: API tokens and passwords. They come from an environment
 * variable or from a file readable by its owner only (mode 0600 or 0400);
 * never from the configuration file itself, and never into logs. */
#ifndef HEED_SECRET_H
#define HEED_SECRET_H

#include <stddef.h>

#include "heed/err.h"

/* Load a secret: the environment variable envname if it is set and not
 * empty (env is environ-style; NULL means the process environment), else
 * the file at path (NULL: none). The file must be a regular file, not
 * readable or writable by group or others, at most 64 KiB; one trailing
 * newline is dropped. On success *out is a string the caller frees with
 * heed_secret_free (which wipes it). HEED_ENOTFOUND when neither source
 * is given or set, HEED_EPERM for a file with a loose mode (the message
 * says how to fix it), HEED_EIO when it cannot be read. Messages name the
 * variable or the file, never the value. */
int heed_secret_load(const char *envname, const char *path, char *const *env,
		     char **out, struct heed_err *err) HEED_MUSTCHECK;

/* Overwrite and free a secret. NULL is a no-op. */
void heed_secret_free(char *secret);

#endif

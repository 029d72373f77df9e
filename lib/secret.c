/* secret.c: load secrets from the environment or a private file (see
 * heed/secret.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heed/secret.h"
#include "heed/xalloc.h"

extern char **environ;

#define SECRET_MAX (64 * 1024)

static const char *env_get(char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (char *const *e = env ? env : environ; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static int read_file(const char *path, char **out, struct heed_err *err)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, rc = HEED_OK;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return heed_err_set(err, errno == ENOENT ? HEED_ENOTFOUND : HEED_EIO,
				    "cannot open secret file '%s': %s", path,
				    strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		rc = heed_err_set(err, HEED_EIO,
				  "secret file '%s' is not a regular file", path);
		goto out_close;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		rc = heed_err_set(err, HEED_EPERM,
				  "secret file '%s' is accessible by group or others (mode %04o); run: chmod 600 '%s'",
				  path, (unsigned)(st.st_mode & 07777), path);
		goto out_close;
	}
	if (st.st_size > SECRET_MAX) {
		rc = heed_err_set(err, HEED_ETOOBIG,
				  "secret file '%s' is larger than %d bytes",
				  path, SECRET_MAX);
		goto out_close;
	}
	buf = xmalloc(SECRET_MAX + 1);
	while ((r = read(fd, buf + len, SECRET_MAX - len)) > 0)
		len += (size_t)r;
	if (r < 0) {
		rc = heed_err_set(err, HEED_EIO, "cannot read secret file '%s': %s",
				  path, strerror(errno));
		heed_secret_free(buf);
		goto out_close;
	}
	buf[len] = '\0';
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len && buf[len - 1] == '\r')
		buf[--len] = '\0';
	*out = buf;
out_close:
	close(fd);
	return rc;
}

int heed_secret_load(const char *envname, const char *path, char *const *env,
		     char **out, struct heed_err *err)
{
	const char *v = envname ? env_get(env, envname) : NULL;

	*out = NULL;
	if (v && *v) {
		*out = xstrdup(v);
		return HEED_OK;
	}
	if (path && *path)
		return read_file(path, out, err);
	return heed_err_set(err, HEED_ENOTFOUND, "no secret: set %s%s",
			    envname ? envname : "an environment variable",
			    " or name a 0600 file in the configuration");
}

void heed_secret_free(char *secret)
{
	if (!secret)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}

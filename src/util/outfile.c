/*
 * outfile: every file leakcheck writes (reports, profiles, the log, the
 * merged JUnit file), opened as the user named it.  leakcheck often runs
 * as root, on paths that users and scripts choose, so:
 *
 *  - a regular file, or a name that does not exist yet, gets its new
 *    contents in a temporary file made by mkstemp (O_EXCL: a name planted
 *    in advance is never followed) in the same directory, renamed over it
 *    only when everything was written; the old file's mode (and, as root,
 *    its owner) carry over.  If the directory cannot be written, an
 *    existing regular file is written in place.  OUTFILE_TRUNC and
 *    OUTFILE_APPEND write a regular file in place (--log-file);
 *  - a symbolic link is written through, to whatever it points to;
 *  - a device or FIFO is written to, never replaced (the open never
 *    waits for a FIFO's reader: no reader is an error, ENXIO);
 *  - every write is checked: the FILE is a cookie stream over write(2)
 *    that keeps the first error, so the reason given at close is that of
 *    the write that failed, not a stale errno.
 *
 * Each failure to open or to close (flush, close, rename) is counted:
 * main() exits with 73 after the report when outfile_failures() is not 0.
 * The callers print the messages; nothing here does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leakcheck/util.h"

/* a stdio buffer large enough that a report is a few writes */
#define OUTFILE_BUF (64 * 1024)

static unsigned failures;

/* The outfiles with a temporary file, open now: removed if leakcheck
 * exits before their close (out of memory, a fatal error), so that no
 * ".NAME.XXXXXX" is left in the user's directory. */
static struct outfile *pending;

static void remove_pending(void)
{
	for (struct outfile *o = pending; o; o = o->next)
		unlink(o->tmp);
}

static void pending_add(struct outfile *o)
{
	static int registered;

	if (!registered && atexit(remove_pending) == 0)
		registered = 1;
	o->next = pending;
	pending = o;
}

static void pending_remove(struct outfile *o)
{
	for (struct outfile **pp = &pending; *pp; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	}
}

unsigned outfile_failures(void)
{
	return failures;
}

static ssize_t cookie_write(void *c, const char *buf, size_t len)
{
	struct outfile *o = c;
	size_t done = 0;

	while (!o->err && done < len) {
		ssize_t n = write(o->fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			o->err = n < 0 ? errno : EIO;
		else
			done += (size_t)n;
	}
	/* fewer than LEN: glibc marks the stream in error */
	return (ssize_t)done;
}

static int cookie_close(void *c)
{
	return 0; /* outfile_close() closes the descriptor and checks it */
}

static int fail(struct outfile *o, int err)
{
	free(o->path);
	o->path = NULL;
	failures++;
	return -err;
}

/* Wrap O->fd into O->f.  Returns 0 or -errno. */
static int wrap(struct outfile *o)
{
	static const cookie_io_functions_t io = {
	    .write = cookie_write,
	    .close = cookie_close,
	};

	o->f = fopencookie(o, "w", io);
	if (!o->f)
		return -errno;
	setvbuf(o->f, NULL, _IOFBF, OUTFILE_BUF);
	return 0;
}

/*
 * A temporary file next to PATH, for its new contents: ".NAME.XXXXXX" in
 * PATH's directory, mode and owner those of OLD (the file it will
 * replace) or, for a new file, 0666 less the umask.  Returns the
 * descriptor, *TMP its malloc'd name; or -1 with errno set.
 */
static int make_tmp(const char *path, const struct stat *old, char **tmp)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int dirlen = slash ? (int)(slash - path) + 1 : 0;
	mode_t mask;
	int fd;

	/* NAME_MAX leaves room for ".NAME.XXXXXX" up to here */
	if (strlen(base) > 200)
		base = "leakcheck";
	*tmp = xasprintf("%.*s.%s.XXXXXX", dirlen, path, base);
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		free(*tmp);
		*tmp = NULL;
		errno = err;
		return -1;
	}
	if (old) {
		fchmod(fd, old->st_mode & 0777);
		/* root writing a user's file leaves it the user's */
		if (geteuid() == 0 && (old->st_uid != 0 || old->st_gid != 0) &&
		    fchown(fd, old->st_uid, old->st_gid) < 0)
			debug("cannot give '%s' the owner of '%s': %s", *tmp,
			      path, strerror(errno));
	} else {
		mask = umask(0);
		umask(mask);
		fchmod(fd, 0666 & ~mask);
	}
	return fd;
}

int outfile_open(struct outfile *o, const char *path, enum outfile_mode mode)
{
	int through = O_WRONLY | O_NONBLOCK | O_CLOEXEC;
	int inplace = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
	struct stat st;
	int exists, ret, fl;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->path = xstrdup(path);
	inplace |= mode == OUTFILE_APPEND ? O_APPEND : O_TRUNC;
	exists = lstat(path, &st) == 0;
	if (!exists && errno != ENOENT)
		return fail(o, errno);
	if (exists && S_ISDIR(st.st_mode))
		return fail(o, EISDIR);
	if (exists && S_ISLNK(st.st_mode)) {
		/* through the link, as a shell's > does; O_NONBLOCK: a FIFO
		 * with no reader is ENXIO, not a hang */
		o->fd = open(path,
			     through | O_CREAT |
				 (mode == OUTFILE_APPEND ? O_APPEND : O_TRUNC),
			     0666);
	} else if (exists && !S_ISREG(st.st_mode)) {
		/* a device or FIFO: write to it, never replace it */
		o->fd = open(path, through | O_NOFOLLOW |
				       (mode == OUTFILE_APPEND ? O_APPEND : 0));
	} else if (mode == OUTFILE_REPLACE) {
		o->fd = make_tmp(path, exists ? &st : NULL, &o->tmp);
		if (o->fd < 0 && exists &&
		    (errno == EACCES || errno == EPERM || errno == EROFS))
			o->fd = open(path, inplace & ~O_CREAT); /* in place */
	} else {
		o->fd = open(path, inplace, 0666);
	}
	if (o->fd < 0)
		return fail(o, errno);
	o->own_fd = 1;
	fl = fcntl(o->fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		fcntl(o->fd, F_SETFL, fl & ~O_NONBLOCK);
	ret = wrap(o);
	if (!ret && o->tmp)
		pending_add(o);
	if (ret) {
		close(o->fd);
		if (o->tmp)
			unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		return fail(o, -ret);
	}
	return 0;
}

void outfile_stderr(struct outfile *o)
{
	memset(o, 0, sizeof(*o));
	o->fd = STDERR_FILENO;
	o->path = xstrdup("standard error");
	if (wrap(o)) {
		o->f = stderr; /* unbuffered, unchecked, but not lost */
		o->fd = -1;
	}
}

int outfile_close(struct outfile *o)
{
	int ret = 0;

	if (!o->f)
		return 0;
	if (o->fd < 0) { /* outfile_stderr's fallback */
		fflush(o->f);
		o->f = NULL;
		free(o->path);
		o->path = NULL;
		return 0;
	}
	if (fflush(o->f) != 0 || ferror(o->f))
		ret = -(o->err ? o->err : EIO);
	fclose(o->f);
	o->f = NULL;
	if (o->own_fd && close(o->fd) < 0 && !ret && errno != EINTR)
		ret = -errno;
	o->fd = -1;
	if (o->tmp) {
		pending_remove(o);
		if (!ret && rename(o->tmp, o->path) < 0)
			ret = -errno;
		if (ret)
			unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
	}
	if (ret)
		failures++;
	free(o->path);
	o->path = NULL;
	return ret;
}

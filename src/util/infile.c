/*
 * infile: reading a whole input file the user named (suppression files,
 * the JUnit files "leakcheck merge" reads), with a bound.  An input can
 * be anything a path names: /dev/zero and /dev/urandom never end, a FIFO
 * may have no writer, and a large binary file is not worth reading to
 * its end to find out that it is not text.  So:
 *
 *  - at most MAX bytes are read (memory is bounded by MAX, not by the
 *    file), and one more byte tells that there was more: -EFBIG;
 *  - each chunk is checked for a NUL byte as it arrives: binary content
 *    stops the read at once (-EILSEQ), like git's and grep's test;
 *  - a directory is -EISDIR; the open never waits for a FIFO's writer,
 *    and a FIFO that has none and holds nothing is -ENXIO, not an empty
 *    file (a pipe whose writer is still there is read to its end, as
 *    --suppressions=<(...) needs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leakcheck/util.h"

#define INFILE_CHUNK (64 * 1024)

int infile_read(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int fd, fifo, ret = 0, fl;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		goto out;
	}
	fifo = S_ISFIFO(st.st_mode);
	if (!fifo) {
		fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	for (;;) {
		size_t want;
		ssize_t r;

		/* room for MAX + 1 bytes (one past MAX says "too big") and
		 * the terminating NUL */
		if (n + 1 >= cap)
			buf =
			    xgrow(buf, &cap,
				  n + INFILE_CHUNK < max + 2 ? n + INFILE_CHUNK
							     : max + 2,
				  1);
		want = cap - 1 - n;
		if (want > max + 1 - n)
			want = max + 1 - n;
		r = read(fd, buf + n, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN && fifo) {
			/* a FIFO with a writer and no data yet: wait for it */
			fl = fcntl(fd, F_GETFL);
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
			fifo = 0;
			continue;
		}
		if (r < 0) {
			ret = -errno;
			break;
		}
		if (r == 0) {
			/* nothing at all, and nobody to write it */
			if (fifo && n == 0)
				ret = -ENXIO;
			break;
		}
		if (memchr(buf + n, 0, (size_t)r)) {
			ret = -EILSEQ;
			break;
		}
		n += (size_t)r;
		if (n > max) {
			ret = -EFBIG;
			break;
		}
		fifo = 0; /* data came: the rest as from any pipe */
		fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && (fl & O_NONBLOCK))
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
out:
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	if (!buf)
		buf = xmalloc(1);
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

const char *infile_strerror(int err, size_t max)
{
	static char buf[96];

	switch (-err) {
	case EFBIG:
		snprintf(buf, sizeof(buf), "larger than %zu MiB", max >> 20);
		return buf;
	case EILSEQ:
		return "binary content (a NUL byte)";
	case ENXIO:
		return "a FIFO with no writer";
	default:
		return strerror(-err);
	}
}

/*
 * The whole of PATH, a file of the kernel's (/proc/PID/maps, /cmdline,
 * /stat) whose size is not known before it is read and which is read
 * to its end, NUL-terminated (it may hold NULs: its length in *LEN if
 * LEN).  NULL if it cannot be opened.  Out of memory kills us.
 */
char *read_file_text(const char *path, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 0;
	char *buf = NULL;

	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t n;
		buf = xgrow(buf, &cap, len + 4097, 1);
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	if (lenp)
		*lenp = len;
	return buf;
}

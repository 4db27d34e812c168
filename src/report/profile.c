/*
 * profile: the one call that writes every requested heap-profile output
 * (pprof, folded stacks, flame graph) for one process at one moment, and
 * their paths.  The samples they share are samples.c's.
 *
 * Invariants:
 *  - a block of STACK_ID_UNSAMPLED is in no output: it is accounted for by
 *    the weights of the sampled blocks (1 / P(sampled), sampler_weight());
 *  - with --sample-rate=0 every weight is 1 and every number is exact;
 *  - the writers can run any number of times on one process (snapshots):
 *    they keep no state between calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "leakcheck/depot.h"
#include "leakcheck/util.h"

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

char *profile_path(const char *pattern, pid_t pid, unsigned seq)
{
	static const char *const exts[] = {".pb.gz", ".svg", ".txt", ".folded"};
	char *exp = xstrdup(""), *n, *res;
	size_t cut;

	for (const char *s = pattern; *s; s++) {
		if (s[0] == '%' && s[1] == 'p') {
			n = xasprintf("%s%d", exp, (int)pid);
			s++;
		} else {
			n = xasprintf("%s%c", exp, *s);
		}
		free(exp);
		exp = n;
	}
	if (!seq)
		return exp;
	cut = strlen(exp);
	for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
		if (ends_with(exp, exts[i]) && strlen(exp) > strlen(exts[i])) {
			cut = strlen(exp) - strlen(exts[i]);
			break;
		}
	}
	res = xasprintf("%.*s.%04u%s", (int)cut, exp, seq, exp + cut);
	free(exp);
	return res;
}

int profile_write_pprof(const struct profile_data *d, const char *path)
{
	unsigned char *gz;
	size_t len;
	struct outfile o;
	int ret = outfile_open(&o, path, OUTFILE_REPLACE);

	if (ret)
		return ret;
	profile_encode_pprof(d, &gz, &len);
	fwrite(gz, 1, len, o.f);
	free(gz);
	return outfile_close(&o);
}

typedef int (*writer_fn)(const struct profile_data *d, FILE *f,
			 const char *title);

static int write_folded_cb(const struct profile_data *d, FILE *f,
			   const char *title)
{
	return profile_write_folded(d, f);
}

/* FN's output to PATH.  Returns 0 or -errno (the failed write's: FN
 * only sees that the stream is in error). */
static int write_file(writer_fn fn, const struct profile_data *d,
		      const char *path, const char *title)
{
	struct outfile o;
	int ret = outfile_open(&o, path, OUTFILE_REPLACE), cret;

	if (ret)
		return ret;
	ret = fn(d, o.f, title);
	cret = outfile_close(&o);
	return cret ? cret : ret;
}

int profile_write_outputs(const struct profile_request *req,
			  const struct profile_data *d)
{
	int failed = 0, ret;
	char *path, *title;

	if (req->pprof) {
		path = profile_path(req->pprof, req->pid, req->seq);
		ret = profile_write_pprof(d, path);
		if (ret) {
			error("cannot write heap profile to '%s': %s", path,
			      strerror(-ret));
			failed++;
		}
		free(path);
	}
	if (req->folded) {
		path = profile_path(req->folded, req->pid, req->seq);
		ret = write_file(write_folded_cb, d, path, NULL);
		if (ret) {
			error("cannot write folded stacks to '%s': %s", path,
			      strerror(-ret));
			failed++;
		}
		free(path);
	}
	if (req->flamegraph) {
		path = profile_path(req->flamegraph, req->pid, req->seq);
		title = xasprintf("leakcheck: %s (pid %d)",
				  req->command ? req->command : "heap",
				  (int)req->pid);
		ret = write_file(profile_write_flamegraph, d, path, title);
		if (ret) {
			error("cannot write flame graph to '%s': %s", path,
			      strerror(-ret));
			failed++;
		}
		free(title);
		free(path);
	}
	return failed;
}

/*
 * profile: what the heap-profile outputs share (samples grouped by stack
 * and kind, weighted for sampling; frames; output paths) and the one call
 * that writes every requested output for one process at one moment.
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

static int
cmp_group(const void *va, const void *vb)
{
	const struct pf_group *a = va, *b = vb;

	if (a->stack_id != b->stack_id)
		return a->stack_id < b->stack_id ? -1 : 1;
	return (a->kind > b->kind) - (a->kind < b->kind);
}

struct pf_group *
pf_groups(const struct profile_data *d, size_t *n)
{
	struct pf_group *g = xcalloc(d->nblocks + 1, sizeof(*g));
	size_t k = 0, out = 0;

	for (size_t i = 0; i < d->nblocks; i++) {
		const struct scan_block *b = &d->blocks[i];
		double w;

		if (b->stack_id == STACK_ID_UNSAMPLED)
			continue;
		w = sampler_weight(d->sample_rate, b->size);
		g[k].stack_id = b->stack_id;
		g[k].kind = d->classified ? b->kind : LEAK_NKINDS;
		g[k].objects = w;
		g[k].bytes = w * (double)b->size;
		k++;
	}
	qsort(g, k, sizeof(*g), cmp_group);
	for (size_t i = 0; i < k; i++) {
		if (out && g[out - 1].stack_id == g[i].stack_id &&
		    g[out - 1].kind == g[i].kind) {
			g[out - 1].objects += g[i].objects;
			g[out - 1].bytes += g[i].bytes;
		} else {
			g[out++] = g[i];
		}
	}
	*n = out;
	return g;
}

const taddr_t *
pf_stack(const struct profile_data *d, uint32_t id, unsigned *n,
	 unsigned *first)
{
	const taddr_t *pcs = NULL;

	*n = 0;
	*first = 0;
	if (d->depot)
		pcs = stack_depot_get(d->depot, id, n);
	if (!pcs) {
		*n = 0;
		return NULL;
	}
	if (*n > 1)
		*first = 1;
	return pcs;
}

int
pf_lookup(const struct profile_data *d, taddr_t pc, int is_return,
	  struct sym_frame *out, int max)
{
	int n = 0;

	if (d->sym)
		n = d->sym(d->sym_ctx, pc, is_return, out, max);
	if (n <= 0) {
		memset(out, 0, sizeof(*out));
		out->pc = pc;
		n = 1;
	}
	return n > max ? max : n;
}

const char *
pf_frame_name(const struct sym_frame *f, char *buf, size_t len)
{
	if (f->func) {
		snprintf(buf, len, "%s", f->func);
	} else if (f->module) {
		const char *s = strrchr(f->module, '/');
		snprintf(buf, len, "[%s]", s ? s + 1 : f->module);
	} else {
		snprintf(buf, len, "0x%llx", (unsigned long long)f->pc);
	}
	for (char *p = buf; *p; p++) {
		if (*p == ';')
			*p = ':';
		else if (*p == '\n' || *p == '\r')
			*p = ' ';
	}
	return buf;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

char *
profile_path(const char *pattern, pid_t pid, unsigned seq)
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

int
profile_write_pprof(const struct profile_data *d, const char *path)
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

static int
write_folded_cb(const struct profile_data *d, FILE *f, const char *title)
{
	return profile_write_folded(d, f);
}

/* FN's output to PATH.  Returns 0 or -errno (the failed write's: FN
 * only sees that the stream is in error). */
static int
write_file(writer_fn fn, const struct profile_data *d, const char *path,
	   const char *title)
{
	struct outfile o;
	int ret = outfile_open(&o, path, OUTFILE_REPLACE), cret;

	if (ret)
		return ret;
	ret = fn(d, o.f, title);
	cret = outfile_close(&o);
	return cret ? cret : ret;
}

int
profile_write_outputs(const struct profile_request *req,
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

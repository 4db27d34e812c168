/*
 * samples: what the heap-profile writers (pprof.c, flame.c) share: every
 * sampled block of one (stack, kind) is one sample, weighted for sampling
 * (a block of STACK_ID_UNSAMPLED is in none: the weights of the sampled
 * ones account for it); a sample's stack and frames; a frame's name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakcheck/depot.h"
#include "leakcheck/util.h"

static int cmp_group(const void *va, const void *vb)
{
	const struct pf_group *a = va, *b = vb;

	if (a->stack_id != b->stack_id)
		return a->stack_id < b->stack_id ? -1 : 1;
	return (a->kind > b->kind) - (a->kind < b->kind);
}

struct pf_group *pf_groups(const struct profile_data *d, size_t *n)
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
		if (d->holders && i < d->holders->nblocks) {
			uint32_t dom = d->holders->idom[i];
			/* nested in a block of its own stack: counted there */
			if (dom == SCAN_NO_HOLDER || (dom & SCAN_HOLDER_HIT) ||
			    d->blocks[dom].stack_id != b->stack_id) {
				g[k].retained_objects =
				    d->holders->retained_blocks[i];
				g[k].retained_bytes =
				    d->holders->retained_bytes[i];
			}
		}
		k++;
	}
	qsort(g, k, sizeof(*g), cmp_group);
	for (size_t i = 0; i < k; i++) {
		if (out && g[out - 1].stack_id == g[i].stack_id &&
		    g[out - 1].kind == g[i].kind) {
			g[out - 1].objects += g[i].objects;
			g[out - 1].bytes += g[i].bytes;
			g[out - 1].retained_objects += g[i].retained_objects;
			g[out - 1].retained_bytes += g[i].retained_bytes;
		} else {
			g[out++] = g[i];
		}
	}
	*n = out;
	return g;
}

const taddr_t *pf_stack(const struct profile_data *d, uint32_t id, unsigned *n,
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

int pf_lookup(const struct profile_data *d, taddr_t pc, int is_return,
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

const char *pf_frame_name(const struct sym_frame *f, char *buf, size_t len)
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

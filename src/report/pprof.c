/*
 * pprof: the live heap as a pprof profile (profile.proto from
 * github.com/google/pprof, proto3), encoded by hand and gzip'ed, the way
 * Go's runtime/pprof writes its heap profile:
 *
 *   sample_type   alloc_objects/count, alloc_space/bytes,
 *                 inuse_objects/count, inuse_space/bytes
 *   period_type   space/bytes; period = --sample-rate (1 when 0)
 *   sample        one per (stack, leak kind): location ids leaf first,
 *                 the four values already scaled for sampling (as Go's
 *                 runtime does before writing), label leak_kind =
 *                 definite|indirect|possible|reachable when a scan
 *                 preceded (none for an unclassified snapshot)
 *   location      one per distinct PC: mapping id, address (the PC as
 *                 recorded: a return address for callers), and one Line
 *                 per frame of its inline chain, innermost first, the
 *                 last one the real function (pprof's convention)
 *   function      one per (name, file): system_name = name (the
 *                 symbolizer gives demangled names only), start_line 0
 *   mapping       every executable mapping of /proc/PID/maps with a
 *                 name: start, limit, offset, file, GNU build id; the
 *                 has_* flags are set when every location in it got them
 *   string_table  [0] = "", then every string once
 *   comment       what the numbers mean, the sample rate
 *   default_sample_type  inuse_space
 *
 * With holders (--show-holders, --top-holders), two more sample types,
 * retained_objects/count and retained_space/bytes: what the stack's
 * blocks alone keep alive (the dominator tree's retained sizes, a block
 * nested under one of its own stack counted there only; a block nested
 * under another stack's counts in both), not scaled for sampling, so
 * that -sample_index=retained_space -top ranks the holders.
 *
 * alloc_objects and alloc_space count every sampled allocation of the
 * stack since tracking began, freed or not (profile_data.alloc), on the
 * stack's first sample; a stack with nothing live has a sample of its
 * own with inuse_* 0.  Without those totals alloc_* equal inuse_*.
 *
 * The allocator's own frame (malloc, operator new's malloc) is dropped:
 * a sample's leaf is the function that called the allocator, as in Go's
 * heap profiles, so `pprof -top` ranks allocating functions by flat.
 */
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "leakcheck/depot.h"
#include "leakcheck/util.h"

/* profile.proto field numbers */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUETYPE_TYPE = 1,
	VALUETYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,
	LABEL_KEY = 1,
	LABEL_STR = 2,
	MAPPING_ID = 1,
	MAPPING_START = 2,
	MAPPING_LIMIT = 3,
	MAPPING_OFFSET = 4,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	MAPPING_HAS_INLINE_FRAMES = 10,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
	FUNCTION_START_LINE = 5,
};

/* uint64 -> uint32, open addressing; a key is stored as key + 1 so that
 * 0 can mean empty (keys here are never UINT64_MAX). */
struct u64map {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, n;
};

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static uint32_t *u64map_slot(struct u64map *m, uint64_t key, int *found)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		uint64_t *k = xcalloc(cap, sizeof(*k));
		uint32_t *v = xcalloc(cap, sizeof(*v));

		for (size_t j = 0; j < m->cap; j++) {
			if (!m->keys[j])
				continue;
			for (i = mix64(m->keys[j]) & (cap - 1); k[i];
			     i = (i + 1) & (cap - 1))
				;
			k[i] = m->keys[j];
			v[i] = m->vals[j];
		}
		free(m->keys);
		free(m->vals);
		m->keys = k;
		m->vals = v;
		m->cap = cap;
	}
	for (i = mix64(key + 1) & (m->cap - 1); m->keys[i];
	     i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key + 1) {
			*found = 1;
			return &m->vals[i];
		}
	}
	*found = 0;
	m->keys[i] = key + 1;
	m->n++;
	return &m->vals[i];
}

static void u64map_release(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
}

/* The string table: strings in order, and a hash of them. */
struct strtab {
	char **v;
	size_t n, cap;
	struct u64map idx; /* FNV-1a hash -> index of the first with it */
	uint32_t *next;	   /* chain of indexes with the same hash; 0 ends */
	size_t next_cap;
};

static uint64_t fnv(const char *s)
{
	return report_fnv1a(s) & ~(1ULL << 63);
}

static uint32_t str_id(struct strtab *t, const char *s)
{
	int found;
	uint32_t *head, i;

	if (!s || !*s)
		return 0;
	head = u64map_slot(&t->idx, fnv(s), &found);
	if (found)
		for (i = *head; i; i = t->next[i])
			if (!strcmp(t->v[i], s))
				return i;
	t->v = xgrow(t->v, &t->cap, t->n + 1, sizeof(*t->v));
	t->next = xgrow(t->next, &t->next_cap, t->n + 1, sizeof(*t->next));
	i = (uint32_t)t->n++;
	t->v[i] = xstrdup(s);
	t->next[i] = found ? *head : 0;
	*head = i;
	return i;
}

static void strtab_init(struct strtab *t)
{
	memset(t, 0, sizeof(*t));
	t->v = xgrow(NULL, &t->cap, 1, sizeof(*t->v));
	t->next = xgrow(NULL, &t->next_cap, 1, sizeof(*t->next));
	t->v[0] = xstrdup("");
	t->next[0] = 0;
	t->n = 1;
}

static void strtab_release(struct strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t->next);
	u64map_release(&t->idx);
}

struct mapping {
	taddr_t start, limit, off;
	char *file;
	char *build_id;		      /* hex, or NULL */
	unsigned nloc;		      /* locations in it */
	unsigned nfunc, nfile, nline; /* ... with lines, files, line numbers */
};

/* The GNU build id of FILE as hex, or NULL. */
static char *build_id_of(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	const unsigned char *id;
	char *hex = NULL;
	Elf *e;
	ssize_t n;

	if (fd < 0)
		return NULL;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e) {
		n = dwelf_elf_gnu_build_id(e, (const void **)&id);
		if (n > 0 && n <= 64) {
			hex = xmalloc((size_t)n * 2 + 1);
			for (ssize_t i = 0; i < n; i++)
				snprintf(hex + 2 * i, 3, "%02x", id[i]);
		}
		elf_end(e);
	}
	close(fd);
	return hex;
}

/* Executable, named mappings of MAPS, in address order. */
static struct mapping *parse_maps(const char *maps, size_t *n)
{
	struct mapping *m = NULL;
	size_t cap = 0, k = 0;
	const char *line = maps;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char *l = xasprintf("%.*s", (int)len, line);
		unsigned long long s, e, off;
		char perms[8] = "";
		int pos = 0;

		if (sscanf(l, "%llx-%llx %7s %llx %*s %*s %n", &s, &e, perms,
			   &off, &pos) >= 4 &&
		    pos > 0 && l[pos] && perms[2] == 'x') {
			m = xgrow(m, &cap, k + 1, sizeof(*m));
			memset(&m[k], 0, sizeof(m[k]));
			m[k].start = s;
			m[k].limit = e;
			m[k].off = off;
			m[k].file = xstrdup(l + pos);
			if (l[pos] == '/')
				m[k].build_id = build_id_of(l + pos);
			k++;
		}
		free(l);
		line = nl ? nl + 1 : NULL;
	}
	*n = k;
	return m;
}

/* Index + 1 of the mapping holding PC, or 0. */
static size_t mapping_of(const struct mapping *m, size_t n, taddr_t pc)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (pc < m[mid].start)
			hi = mid;
		else if (pc >= m[mid].limit)
			lo = mid + 1;
		else
			return mid + 1;
	}
	return 0;
}

struct builder {
	const struct profile_data *d;
	struct strtab strs;
	struct u64map locs;  /* pc << 1 | is_return -> location id */
	struct u64map funcs; /* name id << 32 | file id -> function id */
	uint32_t nlocs, nfuncs;
	struct pb loc_pb, func_pb;
	struct mapping *maps;
	size_t nmaps;
};

static uint32_t function_id(struct builder *b, const struct sym_frame *f)
{
	uint32_t name = str_id(&b->strs, f->func);
	uint32_t file = str_id(&b->strs, f->file);
	int found;
	uint32_t *v =
	    u64map_slot(&b->funcs, (uint64_t)name << 32 | file, &found);
	size_t mark;

	if (found)
		return *v;
	*v = ++b->nfuncs;
	mark = pb_msg_begin(&b->func_pb);
	pb_uint(&b->func_pb, FUNCTION_ID, *v);
	pb_uint(&b->func_pb, FUNCTION_NAME, name);
	pb_uint(&b->func_pb, FUNCTION_SYSTEM_NAME, name);
	pb_uint(&b->func_pb, FUNCTION_FILENAME, file);
	pb_msg_end(&b->func_pb, PROFILE_FUNCTION, mark);
	return *v;
}

static uint32_t location_id(struct builder *b, taddr_t pc, int is_return)
{
	struct sym_frame fr[PF_MAX_INLINE];
	int found, n;
	uint32_t *v = u64map_slot(&b->locs, pc << 1 | !!is_return, &found);
	size_t mark, mi, nfunc = 0, nfile = 0, nline = 0;

	if (found)
		return *v;
	*v = ++b->nlocs;
	n = pf_lookup(b->d, pc, is_return, fr, PF_MAX_INLINE);
	mi = mapping_of(b->maps, b->nmaps, pc);
	mark = pb_msg_begin(&b->loc_pb);
	pb_uint(&b->loc_pb, LOCATION_ID, *v);
	pb_uint(&b->loc_pb, LOCATION_MAPPING_ID, mi);
	pb_uint(&b->loc_pb, LOCATION_ADDRESS, pc);
	/* innermost first: fr[] is in pprof's order already */
	for (int i = 0; i < n; i++) {
		size_t lm;

		if (!fr[i].func)
			continue; /* pprof shows the address instead */
		nfunc++;
		nfile += fr[i].file != NULL;
		nline += fr[i].line > 0;
		lm = pb_msg_begin(&b->loc_pb);
		pb_uint(&b->loc_pb, LINE_FUNCTION_ID, function_id(b, &fr[i]));
		pb_uint(&b->loc_pb, LINE_LINE,
			fr[i].line > 0 ? (uint64_t)fr[i].line : 0);
		pb_msg_end(&b->loc_pb, LOCATION_LINE, lm);
	}
	pb_msg_end(&b->loc_pb, PROFILE_LOCATION, mark);
	if (mi) {
		struct mapping *m = &b->maps[mi - 1];

		m->nloc++;
		m->nfunc += nfunc == (size_t)n;
		m->nfile += nfile == (size_t)n;
		m->nline += nline == (size_t)n;
	}
	return *v;
}

static void value_type(struct pb *p, unsigned field, struct strtab *s,
		       const char *type, const char *unit)
{
	size_t mark = pb_msg_begin(p);

	pb_uint(p, VALUETYPE_TYPE, str_id(s, type));
	pb_uint(p, VALUETYPE_UNIT, str_id(s, unit));
	pb_msg_end(p, field, mark);
}

static uint64_t round_u(double v)
{
	return v <= 0 ? 0 : (uint64_t)llround(v);
}

void profile_encode_pprof(const struct profile_data *d, unsigned char **out,
			  size_t *len)
{
	struct builder b;
	struct pb p = {0}, samples = {0};
	struct pf_group *g;
	size_t ng;
	uint64_t *ids = xmalloc(STACK_MAX_FRAMES * sizeof(*ids));
	uint64_t comment[2];
	uint32_t kind_key;
	char *c;

	memset(&b, 0, sizeof(b));
	b.d = d;
	strtab_init(&b.strs);
	b.maps = parse_maps(d->maps_text ? d->maps_text : "", &b.nmaps);

	value_type(&p, PROFILE_SAMPLE_TYPE, &b.strs, "alloc_objects", "count");
	value_type(&p, PROFILE_SAMPLE_TYPE, &b.strs, "alloc_space", "bytes");
	value_type(&p, PROFILE_SAMPLE_TYPE, &b.strs, "inuse_objects", "count");
	value_type(&p, PROFILE_SAMPLE_TYPE, &b.strs, "inuse_space", "bytes");
	if (d->holders) {
		value_type(&p, PROFILE_SAMPLE_TYPE, &b.strs, "retained_objects",
			   "count");
		value_type(&p, PROFILE_SAMPLE_TYPE, &b.strs, "retained_space",
			   "bytes");
	}
	kind_key = str_id(&b.strs, "leak_kind");

	g = pf_groups(d, &ng);
	if (d->alloc) {
		/* stacks whose blocks are all freed: a sample of alloc_* only
		 * (G is sorted by stack id; these go after it) */
		size_t live = ng, gi = 0;
		g = xrealloc(g, (ng + d->nalloc + 1) * sizeof(*g));
		for (uint32_t id = 1; id < d->nalloc; id++) {
			while (gi < live && g[gi].stack_id < id)
				gi++;
			if (d->alloc[id].objects > 0 &&
			    (gi == live || g[gi].stack_id != id))
				g[ng++] = (struct pf_group){
				    .stack_id = id, .kind = LEAK_NKINDS};
		}
	}
	for (size_t i = 0; i < ng; i++) {
		unsigned n, first, k = 0;
		const taddr_t *pcs = pf_stack(d, g[i].stack_id, &n, &first);
		uint64_t vals[6];
		size_t mark = pb_msg_begin(&samples);

		for (unsigned j = first; j < n; j++)
			ids[k++] = location_id(&b, pcs[j], j > 0);
		vals[2] = round_u(g[i].objects);
		vals[3] = round_u(g[i].bytes);
		if (!d->alloc) {
			vals[0] = vals[2];
			vals[1] = vals[3];
		} else if ((i == 0 || g[i - 1].stack_id != g[i].stack_id) &&
			   g[i].stack_id < d->nalloc) {
			/* a stack's alloc totals go on its first sample */
			vals[0] = round_u(d->alloc[g[i].stack_id].objects);
			vals[1] = round_u(d->alloc[g[i].stack_id].bytes);
		} else {
			vals[0] = vals[1] = 0;
		}
		pb_packed(&samples, SAMPLE_LOCATION_ID, ids, k);
		vals[4] = g[i].retained_objects;
		vals[5] = g[i].retained_bytes;
		pb_packed(&samples, SAMPLE_VALUE, vals, d->holders ? 6 : 4);
		if (g[i].kind < LEAK_NKINDS) {
			size_t lm = pb_msg_begin(&samples);

			pb_uint(&samples, LABEL_KEY, kind_key);
			pb_uint(&samples, LABEL_STR,
				str_id(&b.strs, leak_kind_name(g[i].kind)));
			pb_msg_end(&samples, SAMPLE_LABEL, lm);
		}
		pb_msg_end(&samples, PROFILE_SAMPLE, mark);
	}
	free(g);
	free(ids);
	/* the samples are whole fields already: append them */
	p.buf = xgrow(p.buf, &p.cap, p.len + samples.len, 1);
	if (samples.len)
		memcpy(p.buf + p.len, samples.buf, samples.len);
	p.len += samples.len;
	pb_release(&samples);

	for (size_t i = 0; i < b.nmaps; i++) {
		struct mapping *m = &b.maps[i];
		size_t mark = pb_msg_begin(&p);
		int all = m->nloc > 0;

		pb_uint(&p, MAPPING_ID, i + 1);
		pb_uint(&p, MAPPING_START, m->start);
		pb_uint(&p, MAPPING_LIMIT, m->limit);
		pb_uint(&p, MAPPING_OFFSET, m->off);
		pb_uint(&p, MAPPING_FILENAME, str_id(&b.strs, m->file));
		pb_uint(&p, MAPPING_BUILD_ID, str_id(&b.strs, m->build_id));
		pb_uint(&p, MAPPING_HAS_FUNCTIONS, all && m->nfunc == m->nloc);
		pb_uint(&p, MAPPING_HAS_FILENAMES, all && m->nfile == m->nloc);
		pb_uint(&p, MAPPING_HAS_LINE_NUMBERS,
			all && m->nline == m->nloc);
		pb_uint(&p, MAPPING_HAS_INLINE_FRAMES,
			all && m->nfunc == m->nloc);
		pb_msg_end(&p, PROFILE_MAPPING, mark);
		free(m->file);
		free(m->build_id);
	}
	free(b.maps);
	p.buf = xgrow(p.buf, &p.cap, p.len + b.loc_pb.len + b.func_pb.len, 1);
	if (b.loc_pb.len)
		memcpy(p.buf + p.len, b.loc_pb.buf, b.loc_pb.len);
	p.len += b.loc_pb.len;
	if (b.func_pb.len)
		memcpy(p.buf + p.len, b.func_pb.buf, b.func_pb.len);
	p.len += b.func_pb.len;
	pb_release(&b.loc_pb);
	pb_release(&b.func_pb);

	/* strings the trailer needs, before the table is written */
	comment[0] =
	    str_id(&b.strs,
		   d->alloc ? "leakcheck: alloc_* count every sampled "
			      "allocation since tracking began"
			    : "leakcheck: live blocks only; alloc_* = inuse_*");
	c = d->sample_rate
		? xasprintf(
		      "sampled every %llu bytes on average; values scaled "
		      "by 1/(1-exp(-size/rate))",
		      (unsigned long long)d->sample_rate)
		: xstrdup("every allocation recorded (no sampling)");
	comment[1] = str_id(&b.strs, c);
	free(c);
	value_type(&p, PROFILE_PERIOD_TYPE, &b.strs, "space", "bytes");
	pb_uint(&p, PROFILE_PERIOD, d->sample_rate ? d->sample_rate : 1);
	pb_uint(&p, PROFILE_TIME_NANOS, (uint64_t)d->time_nanos);
	pb_packed(&p, PROFILE_COMMENT, comment, 2);
	pb_uint(&p, PROFILE_DEFAULT_SAMPLE_TYPE,
		str_id(&b.strs, "inuse_space"));
	for (size_t i = 0; i < b.strs.n; i++)
		pb_bytes(&p, PROFILE_STRING_TABLE, b.strs.v[i],
			 strlen(b.strs.v[i]));

	gzip_buffer(p.buf, p.len, out, len);
	pb_release(&p);
	strtab_release(&b.strs);
	u64map_release(&b.locs);
	u64map_release(&b.funcs);
}

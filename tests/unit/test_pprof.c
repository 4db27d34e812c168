/*
 * test_pprof: the protobuf encoder, the sampler, output paths, and the
 * pprof / folded / SVG writers on a fixed heap with a fake symbolizer.
 * The pprof output is gunzip'ed and decoded by a small wire-format reader
 * here, independent of the encoder.
 *
 * The heap (block: kind, size, stack):
 *   definite 100 S1, definite 100 S1, indirect 50 S1, reachable 8 S2,
 *   possible 30 S2, and one block of STACK_ID_UNSAMPLED (left out).
 *   S1 = malloc <- leaky (with inlined helper "inl<T>&" at its PC) <- main
 *   S2 = malloc <- keeper <- main
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "../../src/report/internal.h"
#include "leakcheck/depot.h"
#include "leakcheck/util.h"

/* ---- a wire-format reader ---- */

struct field {
	unsigned num;
	int wire;
	uint64_t v;	     /* varint value */
	const uint8_t *data; /* length-delimited contents */
	size_t len;
};

static int rd_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	int shift = 0;

	*v = 0;
	while (*p < end && shift < 64) {
		uint8_t b = *(*p)++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

/* Next field of [*P, END); returns 1, 0 at the end, -1 on bad input. */
static int rd_field(const uint8_t **p, const uint8_t *end, struct field *f)
{
	uint64_t key;

	if (*p >= end)
		return 0;
	if (rd_varint(p, end, &key))
		return -1;
	f->num = (unsigned)(key >> 3);
	f->wire = (int)(key & 7);
	if (f->wire == 0)
		return rd_varint(p, end, &f->v) ? -1 : 1;
	if (f->wire != 2 || rd_varint(p, end, &f->v) ||
	    f->v > (uint64_t)(end - *p))
		return -1;
	f->data = *p;
	f->len = f->v;
	*p += f->len;
	return 1;
}

/* The varint field NUM of a message (0 if absent). */
static uint64_t msg_uint(const uint8_t *d, size_t len, unsigned num)
{
	const uint8_t *p = d;
	struct field f;
	uint64_t v = 0;

	while (rd_field(&p, d + len, &f) == 1)
		if (f.num == num && f.wire == 0)
			v = f.v;
	return v;
}

/* Packed varints of field NUM into OUT (at most MAX); returns count. */
static size_t msg_packed(const uint8_t *d, size_t len, unsigned num,
			 uint64_t *out, size_t max)
{
	const uint8_t *p = d;
	struct field f;
	size_t n = 0;

	while (rd_field(&p, d + len, &f) == 1) {
		const uint8_t *q = f.data;
		if (f.num != num || f.wire != 2)
			continue;
		while (q < f.data + f.len && n < max)
			if (rd_varint(&q, f.data + f.len, &out[n++]))
				return n;
	}
	return n;
}

/* ---- encoder ---- */

static void test_pb(void)
{
	struct pb b = {0};
	const uint8_t *p, *end;
	struct field f;
	uint64_t v[3] = {1, 300, UINT64_MAX}, got[3];
	size_t mark, inner;

	pb_varint(&b, 0);
	pb_varint(&b, 127);
	pb_varint(&b, 128);
	pb_varint(&b, 300);
	CHECK_EQ_U(b.len, 1 + 1 + 2 + 2);
	CHECK(b.buf[2] == 0x80 && b.buf[3] == 0x01);
	CHECK(b.buf[4] == 0xac && b.buf[5] == 0x02);
	b.len = 0;
	pb_varint(&b, UINT64_MAX);
	CHECK_EQ_U(b.len, 10);
	b.len = 0;

	pb_uint(&b, 1, 0); /* proto3 default: omitted */
	CHECK_EQ_U(b.len, 0);
	pb_uint(&b, 1, 150);
	CHECK(b.len == 3 && b.buf[0] == 0x08 && b.buf[1] == 0x96 &&
	      b.buf[2] == 0x01);
	b.len = 0;

	/* a message in a message, with a packed field and a string */
	mark = pb_msg_begin(&b);
	pb_uint(&b, 1, 7);
	inner = pb_msg_begin(&b);
	pb_packed(&b, 2, v, 3);
	pb_bytes(&b, 3, "abc", 3);
	pb_msg_end(&b, 4, inner);
	pb_msg_end(&b, 5, mark);

	p = b.buf;
	end = b.buf + b.len;
	CHECK(rd_field(&p, end, &f) == 1 && f.num == 5 && f.wire == 2);
	CHECK(p == end);
	CHECK_EQ_U(msg_uint(f.data, f.len, 1), 7);
	{
		const uint8_t *q = f.data;
		struct field g, h;
		int found = 0;
		while (rd_field(&q, f.data + f.len, &g) == 1) {
			if (g.num != 4)
				continue;
			found = 1;
			CHECK_EQ_U(msg_packed(g.data, g.len, 2, got, 3), 3);
			CHECK(got[0] == 1 && got[1] == 300 &&
			      got[2] == UINT64_MAX);
			{
				const uint8_t *r = g.data;
				int s = 0;
				while (rd_field(&r, g.data + g.len, &h) == 1)
					if (h.num == 3 && h.len == 3 &&
					    !memcmp(h.data, "abc", 3))
						s = 1;
				CHECK(s);
			}
		}
		CHECK(found);
	}
	pb_release(&b);
}

/* ---- sampler ---- */

static void test_sampler(void)
{
	struct sampler s;
	const uint64_t rate = 1000, size = 100, trials = 200000;
	uint64_t hits = 0;
	double est = 0, p, sd, mean = 0;

	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 100; i++)
		CHECK(sampler_take(&s, 0, 1));
	CHECK(sampler_weight(0, 123) == 1.0);
	CHECK(sampler_weight(10, 0) == 0.0);
	CHECK(fabs(sampler_weight(1000, 1000) - 1.0 / (1.0 - exp(-1.0))) <
	      1e-12);
	CHECK(fabs(sampler_weight(1, 1000) - 1.0) < 1e-12);

	/* the interval is exponential with mean RATE */
	sampler_seed(&s, 42);
	for (int i = 0; i < 100000; i++)
		mean += (double)sampler_next_interval(&s, rate);
	mean /= 100000;
	/* sd of the mean: rate / sqrt(n) = 3.2; 6 sigma */
	CHECK(fabs(mean - (double)rate - 0.5) < 20);

	/* P(sampled) = 1 - exp(-size/rate), and the weighted sum is
	 * unbiased: both within 5 standard deviations */
	sampler_seed(&s, 7);
	for (uint64_t i = 0; i < trials; i++) {
		if (sampler_take(&s, rate, size)) {
			hits++;
			est += sampler_weight(rate, size) * (double)size;
		}
	}
	p = 1.0 - exp(-(double)size / (double)rate);
	sd = sqrt((double)trials * p * (1 - p));
	CHECK(fabs((double)hits - (double)trials * p) < 5 * sd);
	CHECK(fabs(est - (double)(trials * size)) < 5 * sd * (double)size / p);

	/* a block of 1000 mean intervals is always sampled */
	sampler_seed(&s, 9);
	for (int i = 0; i < 1000; i++)
		CHECK(sampler_take(&s, 10, 10000));
}

/* ---- paths ---- */

static void test_paths(void)
{
	char *s;

	s = profile_path("heap.pb.gz", 42, 0);
	CHECK_STR(s, "heap.pb.gz");
	free(s);
	s = profile_path("heap.%p.pb.gz", 42, 1);
	CHECK_STR(s, "heap.42.0001.pb.gz");
	free(s);
	s = profile_path("dir/out", 7, 12);
	CHECK_STR(s, "dir/out.0012");
	free(s);
	s = profile_path("g-%p.svg", 7, 3);
	CHECK_STR(s, "g-7.0003.svg");
	free(s);
	s = profile_path(".pb.gz", 7, 3);
	CHECK_STR(s, ".pb.gz.0003");
	free(s);
}

/* ---- writers ---- */

#define PC_MALLOC 0x401000ull
#define PC_LEAKY 0x401234ull
#define PC_KEEPER 0x401300ull
#define PC_MAIN 0x401400ull

static int fake_sym(void *ctx, taddr_t pc, int is_return, struct sym_frame *out,
		    int max)
{
	memset(out, 0, 2 * sizeof(*out));
	out[0].pc = out[1].pc = pc;
	switch (pc) {
	case PC_MALLOC:
		out[0].func = "malloc";
		return 1;
	case PC_LEAKY:
		out[0].func = "inl<T>&";
		out[0].file = "/src/a.h";
		out[0].line = 5;
		out[0].inlined = 1;
		out[1].func = "leaky";
		out[1].file = "/src/a.c";
		out[1].line = 20;
		return 2;
	case PC_KEEPER:
		out[0].func = "keeper";
		out[0].file = "/src/a.c";
		out[0].line = 30;
		return 1;
	case PC_MAIN:
		out[0].func = "main";
		out[0].file = "/src/a.c";
		out[0].line = 40;
		return 1;
	}
	return 0;
}

static const char maps[] =
    "00400000-00402000 r-xp 00001000 08:01 1234 /bin/testprog\n"
    "7ffc0000-7ffd0000 rw-p 00000000 00:00 0 [stack]\n";

static void setup(struct stack_depot *d, struct scan_block *b, uint32_t *s1,
		  uint32_t *s2)
{
	taddr_t st1[] = {PC_MALLOC, PC_LEAKY, PC_MAIN};
	taddr_t st2[] = {PC_MALLOC, PC_KEEPER, PC_MAIN};
	static const struct {
		uint8_t kind;
		uint64_t size;
		int stack;
	} heap[] = {
	    {LEAK_DEFINITE, 100, 1}, {LEAK_DEFINITE, 100, 1},
	    {LEAK_INDIRECT, 50, 1},  {LEAK_REACHABLE, 8, 2},
	    {LEAK_POSSIBLE, 30, 2},  {LEAK_DEFINITE, 999, 0},
	};

	stack_depot_init(d);
	*s1 = stack_depot_intern(d, st1, 3);
	*s2 = stack_depot_intern(d, st2, 3);
	for (size_t i = 0; i < ARRAY_SIZE(heap); i++) {
		memset(&b[i], 0, sizeof(b[i]));
		b[i].addr = 0x1000 + i * 0x100;
		b[i].size = heap[i].size;
		b[i].kind = heap[i].kind;
		b[i].stack_id = heap[i].stack == 1   ? *s1
				: heap[i].stack == 2 ? *s2
						     : STACK_ID_UNSAMPLED;
	}
}

static unsigned char *gunzip(const unsigned char *in, size_t len,
			     size_t *outlen)
{
	z_stream z;
	size_t cap = 1 << 20;
	unsigned char *out = xmalloc(cap);

	memset(&z, 0, sizeof(z));
	CHECK(inflateInit2(&z, 15 + 16) == Z_OK);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	CHECK(inflate(&z, Z_FINISH) == Z_STREAM_END);
	*outlen = cap - z.avail_out;
	inflateEnd(&z);
	return out;
}

static void test_pprof(const struct profile_data *d)
{
	unsigned char *gz, *gz2, *raw;
	size_t gzlen, gzlen2, len, nstr = 0, nsample = 0, nloc = 0, nfunc = 0;
	const uint8_t *p;
	struct field f;
	const char *strs[64];
	size_t strl[64];
	uint64_t total_inuse = 0, defin = 0, poss = 0;
	int leaky_loc_ok = 0, mapping_ok = 0;

	profile_encode_pprof(d, &gz, &gzlen);
	profile_encode_pprof(d, &gz2, &gzlen2);
	CHECK(gzlen == gzlen2 && !memcmp(gz, gz2, gzlen)); /* byte-stable */
	CHECK(gz[0] == 0x1f && gz[1] == 0x8b);
	CHECK(gz[4] == 0 && gz[5] == 0 && gz[6] == 0 && gz[7] == 0); /* mtime */
	raw = gunzip(gz, gzlen, &len);

	/* strings first: everything else refers to them */
	p = raw;
	while (rd_field(&p, raw + len, &f) == 1)
		if (f.num == 6 && nstr < 64) {
			strs[nstr] = (const char *)f.data;
			strl[nstr++] = f.len;
		}
	CHECK(p == raw + len);
	CHECK(nstr > 10 && strl[0] == 0);
#define STR(i)                                                                 \
	((i) < nstr ? xasprintf("%.*s", (int)strl[i], strs[i]) : xstrdup("?"))

	p = raw;
	while (rd_field(&p, raw + len, &f) == 1) {
		if (f.num == 1) { /* sample_type, in Go's order */
			static const char *const want[] = {
			    "alloc_objects", "alloc_space", "inuse_objects",
			    "inuse_space"};
			static int k;
			char *t = STR(msg_uint(f.data, f.len, 1));
			if (k < 4)
				CHECK_STR(t, want[k]);
			k++;
			free(t);
		} else if (f.num == 2) {
			uint64_t loc[8], val[4] = {0};
			size_t nl = msg_packed(f.data, f.len, 1, loc, 8);
			const uint8_t *q = f.data;
			struct field g;
			char *kind = NULL;

			nsample++;
			CHECK_EQ_U(msg_packed(f.data, f.len, 2, val, 4), 4);
			CHECK(val[0] == val[2] && val[1] == val[3]);
			CHECK_EQ_U(nl, 2); /* malloc's frame dropped */
			total_inuse += val[3];
			while (rd_field(&q, f.data + f.len, &g) == 1) {
				if (g.num != 3)
					continue;
				char *key = STR(msg_uint(g.data, g.len, 1));
				CHECK_STR(key, "leak_kind");
				free(key);
				kind = STR(msg_uint(g.data, g.len, 2));
			}
			CHECK(kind != NULL);
			if (kind && !strcmp(kind, "definite")) {
				defin = val[3];
				CHECK_EQ_U(val[2], 2);
			}
			if (kind && !strcmp(kind, "possible"))
				poss = val[3];
			free(kind);
		} else if (f.num == 3) {
			char *file = STR(msg_uint(f.data, f.len, 5));
			mapping_ok = msg_uint(f.data, f.len, 2) == 0x400000 &&
				     msg_uint(f.data, f.len, 3) == 0x402000 &&
				     msg_uint(f.data, f.len, 4) == 0x1000 &&
				     !strcmp(file, "/bin/testprog") &&
				     msg_uint(f.data, f.len, 7) == 1 &&
				     msg_uint(f.data, f.len, 10) == 1;
			free(file);
		} else if (f.num == 4) {
			const uint8_t *q = f.data;
			struct field g;
			uint64_t lines[4];
			size_t nli = 0;

			nloc++;
			CHECK_EQ_U(msg_uint(f.data, f.len, 2), 1);
			while (rd_field(&q, f.data + f.len, &g) == 1)
				if (g.num == 4 && nli < 4)
					lines[nli++] =
					    msg_uint(g.data, g.len, 2);
			if (msg_uint(f.data, f.len, 3) == PC_LEAKY)
				/* inlined frame first, then the caller */
				leaky_loc_ok =
				    nli == 2 && lines[0] == 5 && lines[1] == 20;
		} else if (f.num == 5) {
			char *name = STR(msg_uint(f.data, f.len, 2));
			char *sys = STR(msg_uint(f.data, f.len, 3));
			nfunc++;
			CHECK_STR(name, sys);
			free(name);
			free(sys);
		} else if (f.num == 12) {
			CHECK_EQ_U(f.v, 1);
		}
	}
	CHECK_EQ_U(nsample, 4); /* (S1,definite) (S1,indirect) (S2,...) x2 */
	CHECK_EQ_U(total_inuse, 100 + 100 + 50 + 8 + 30);
	CHECK_EQ_U(defin, 200);
	CHECK_EQ_U(poss, 30);
	CHECK_EQ_U(nloc, 3); /* leaky, keeper, main */
	CHECK_EQ_U(nfunc, 4);
	CHECK(leaky_loc_ok);
	CHECK(mapping_ok);
	free(raw);
	free(gz);
	free(gz2);
}

static char *capture(int (*fn)(const struct profile_data *, FILE *),
		     const struct profile_data *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(fn(d, f) == 0);
	fclose(f);
	return buf;
}

static int flame(const struct profile_data *d, FILE *f)
{
	return profile_write_flamegraph(d, f, "t<&>\"'");
}

static void test_folded_svg(const struct profile_data *d)
{
	char *s = capture(profile_write_folded, d);

	CHECK_STR(s, "definite;main;leaky;inl<T>& 200\n"
		     "indirect;main;leaky;inl<T>& 50\n"
		     "possible;main;keeper 30\n"
		     "reachable;main;keeper 8\n");
	free(s);

	s = capture(flame, d);
	CHECK(strstr(s, ">t&lt;&amp;&gt;&quot;&apos;</text>") != NULL);
	CHECK(strstr(s, "data-n=\"inl&lt;T&gt;&amp;\"") != NULL);
	CHECK(strstr(s, "<title>leaky (250 bytes, 86.81%)</title>") != NULL);
	CHECK(strstr(s, "Leaked (definite, indirect, possible): 280 bytes") !=
	      NULL);
	CHECK(strstr(s, "Live heap: 288 bytes") != NULL);
	CHECK(strstr(s, "<title>keeper (38 bytes, 13.19%)</title>") != NULL);
	CHECK(strstr(s, "<title>leaky (200 bytes, 71.43%)</title>") != NULL);
	CHECK(strstr(s, "inl<T>") == NULL); /* never unescaped */
	CHECK(strstr(s, "</svg>\n") != NULL);
	free(s);
}

static void test_sampled_weights(struct profile_data d)
{
	size_t n;
	struct pf_group *g;

	d.sample_rate = 100;
	g = pf_groups(&d, &n);
	CHECK_EQ_U(n, 4);
	/* definite S1: two 100-byte blocks, weight 1/(1-e^-1) each */
	CHECK(fabs(g[0].bytes - 200.0 / (1.0 - exp(-1.0))) < 1e-9);
	CHECK(fabs(g[0].objects - 2.0 / (1.0 - exp(-1.0))) < 1e-9);
	free(g);
}

int main(void)
{
	struct stack_depot depot;
	struct scan_block blocks[6];
	uint32_t s1, s2;
	struct profile_data d;

	test_pb();
	test_sampler();
	test_paths();

	setup(&depot, blocks, &s1, &s2);
	memset(&d, 0, sizeof(d));
	d.blocks = blocks;
	d.nblocks = ARRAY_SIZE(blocks);
	d.classified = 1;
	d.depot = &depot;
	d.sym = fake_sym;
	d.maps_text = maps;
	test_pprof(&d);
	test_folded_svg(&d);
	test_sampled_weights(d);
	stack_depot_release(&depot);
	return check_done("test_pprof");
}

/*
 * profile: heap sampling at allocation time, and the heap-profile outputs
 * written at report time: pprof (profile.proto, gzip), folded stacks and
 * an SVG flame graph.
 *
 * Sampling (--sample-rate=R) is Poisson sampling by bytes, as Go's
 * MemProfileRate and jemalloc's lg_prof_sample do: an allocation of S
 * bytes is sampled with probability 1 - exp(-S/R), independently of every
 * other allocation.  It is done by byte countdown (tcmalloc, Go's
 * nextSample): draw an exponential interval of mean R bytes, subtract each
 * allocation's size, sample the allocation that reaches zero and draw
 * again.  Memorylessness of the exponential makes that exactly the
 * probability above, with one PRNG draw and one log() per *sampled*
 * allocation and a subtraction per other one.  Reports weight each sampled
 * block by 1 / (1 - exp(-S/R)) (Horvitz-Thompson), so totals are unbiased.
 */
#ifndef LEAKCHECK_PROFILE_H
#define LEAKCHECK_PROFILE_H

#include <stdio.h>
#include "leakcheck/types.h"
#include "leakcheck/report.h"

/* The stack id of a block the sampler skipped: its stack is unknown.
 * Never interned (depot ids grow from 1), so stack_depot_get() gives no
 * frames for it and loss records keep such blocks apart from stack 0. */
#define STACK_ID_UNSAMPLED UINT32_MAX

struct sampler {
	uint64_t rng;  /* xorshift64* state; 0: not seeded yet */
	uint64_t left; /* bytes until the next sample; 0: draw one */
};

/* Seed S (caller-owned; a zeroed struct seeds itself from the clock on
 * first use).  Never fails. */
void sampler_seed(struct sampler *s, uint64_t seed);
/* Mean-RATE exponential interval in bytes, >= 1.  Advances the PRNG. */
uint64_t sampler_next_interval(struct sampler *s, uint64_t rate);

/*
 * Is an allocation of SIZE bytes sampled, with mean sampling interval
 * RATE bytes (0: every allocation is)?  Cheap when it is not: a compare
 * and a subtraction.
 */
static inline int sampler_take(struct sampler *s, uint64_t rate, uint64_t size)
{
	if (!rate)
		return 1;
	if (!s->left)
		s->left = sampler_next_interval(s, rate);
	if (size < s->left) {
		s->left -= size;
		return 0;
	}
	s->left = sampler_next_interval(s, rate);
	return 1;
}

/* 1 / P(sampled) for a block of SIZE bytes at RATE: the weight that makes
 * sums unbiased.  1 when RATE is 0; 0 for SIZE 0 at RATE > 0 (never
 * sampled, contributes nothing, as Go's scaleHeapSample). */
double sampler_weight(uint64_t rate, uint64_t size);

/* Every sampled allocation a stack has made so far, live or freed,
 * weighted as the blocks are: pprof's alloc_objects and alloc_space. */
struct alloc_total {
	double objects, bytes;
};

/* What the profile outputs are made from: one process's classified (or,
 * when CLASSIFIED is 0, unclassified) live blocks at one moment. */
struct profile_data {
	const struct scan_block *blocks;
	size_t nblocks;
	int classified; /* blocks' kind is meaningful */
	const struct stack_depot *depot;
	report_sym_fn sym; /* as for the reports; may be NULL */
	void *sym_ctx;
	const char *maps_text; /* /proc/PID/maps text, or NULL */
	uint64_t sample_rate;  /* the --sample-rate in force, 0: none */
	int64_t time_nanos;    /* when the snapshot was taken */
	const struct alloc_total *alloc; /* by stack id; NULL: alloc = inuse */
	size_t nalloc;
	/* who holds the blocks (scan_classify's, for these blocks), or
	 * NULL: the pprof profile then has retained_* sample types */
	const struct scan_holders *holders;
};

/*
 * The pprof profile of D (see pprof.c for the message layout), gzip'ed,
 * written to PATH (replaced atomically).  Returns 0 or -errno.
 */
int profile_write_pprof(const struct profile_data *d, const char *path);
/* The same profile, gzip'ed, in *OUT (malloc'd, caller frees) and *LEN. */
void profile_encode_pprof(const struct profile_data *d, unsigned char **out,
			  size_t *len);

/*
 * Folded stacks (flamegraph.pl's input) to F: one line per (leak kind,
 * stack), "KIND;root;...;leaf BYTES", the kind frame first ("definite",
 * "indirect", "possible", "reachable", or "live" when unclassified).
 * Returns 0 or -errno.
 */
int profile_write_folded(const struct profile_data *d, FILE *f);
/*
 * A self-contained interactive SVG to F: a flame graph of the leaked
 * bytes (definite, indirect, possible; split by kind at the root) above
 * one of all live bytes.  Returns 0 or -errno.
 */
int profile_write_flamegraph(const struct profile_data *d, FILE *f,
			     const char *title);

/*
 * PATTERN with "%p" replaced by PID and, when SEQ > 0, the snapshot
 * number inserted as ".NNNN" before a final ".pb.gz", ".svg" or ".txt"
 * (appended otherwise): "heap.pb.gz" -> "heap.0001.pb.gz".  Malloc'd.
 */
char *profile_path(const char *pattern, pid_t pid, unsigned seq);

struct profile_request {
	const char *pprof;	/* --heap-profile pattern or NULL */
	const char *folded;	/* --folded pattern or NULL */
	const char *flamegraph; /* --flamegraph pattern or NULL */
	pid_t pid;
	unsigned seq;	     /* 0: at exit; N > 0: snapshot N */
	const char *command; /* for the SVG title, or NULL */
};

/*
 * Write every output REQ asks for from D; prints an error line per file
 * that cannot be written.  Returns the number of such files.  Meant to be
 * called at exit (SEQ 0) and for each on-demand snapshot (SEQ 1, 2, ...).
 */
int profile_write_outputs(const struct profile_request *req,
			  const struct profile_data *d);

#endif

/*
 * scan: conservative marking and valgrind's leak classification.
 *
 * Knows nothing of ptrace or /proc: it gets the live blocks, the root
 * ranges, extra root words (registers) and a read-memory callback, so it
 * can run on synthetic heaps in unit tests.
 */
#ifndef LEAKCHECK_SCAN_H
#define LEAKCHECK_SCAN_H

#include <stdint.h>
#include <sys/types.h>

#include "leakcheck/types.h"

enum leak_kind {
	LEAK_DEFINITE = 0, /* no pointer from any root or reachable block */
	LEAK_INDIRECT,	   /* pointed to only from lost blocks */
	LEAK_POSSIBLE,	   /* reached only through some interior pointer */
	LEAK_REACHABLE,	   /* chain of start-pointers from a root */
	LEAK_NKINDS
};

/* "definitely lost", "indirectly lost", "possibly lost", "still reachable" */
const char *leak_kind_phrase(enum leak_kind k);
/* valgrind's option names: "definite", "indirect", "possible", "reachable" */
const char *leak_kind_name(enum leak_kind k);
/* Parse a valgrind --show-leak-kinds= list ("definite,possible", "all",
 * "none"); returns 0 and a bitmask (1 << kind) in *MASK, or -EINVAL. */
int leak_kinds_parse(const char *s, unsigned *mask);

/* A live block; 24 bytes, as a struct heap_block, so that an array of
 * those can be turned into one of these in place. */
struct scan_block {
	taddr_t addr;	   /* start of user data */
	uint64_t size;	   /* requested size */
	uint32_t stack_id; /* depot id */
	uint8_t flags;	   /* heap_block flags, carried through */
	/* results */
	uint8_t kind;	   /* enum leak_kind */
	uint8_t heuristic; /* enum scan_heuristic, as valgrind sets it */
};

/*
 * A lost block that leaks others (valgrind's clique leader): the blocks
 * reachable from it only through lost blocks, counted once, under the
 * first (lowest-addressed) lost block that reaches them.
 */
struct scan_clique {
	uint32_t leader; /* index of the leader, a definitely lost block */
	uint32_t blocks; /* indirectly lost blocks it leaks (> 0) */
	uint64_t bytes;	 /* their bytes */
};

/* The entry for block LEADER in C (N entries, sorted by leader), or NULL
 * if it leaks no other block. */
const struct scan_clique *scan_clique_find(const struct scan_clique *c,
					   size_t n, size_t leader);

/* What a root is, so that a holder can be named (roots as data: the
 * root gathering, alloc/roots.c, says; the classifier does not look). */
enum scan_root_kind {
	ROOT_DATA = 0,	  /* a module's writable mapping; NAME its path */
	ROOT_MMAP,	  /* another writable mapping; NAME its file or "" */
	ROOT_STACK,	  /* thread TID's stack, from its sp */
	ROOT_BLOCK_STACK, /* thread TID's stack in a malloc'd block */
	ROOT_DEAD_TCB,	  /* a dead thread's struct pthread, glibc's cache */
	ROOT_HEAP,	  /* heap that cannot be walked (another malloc's,
			   * from before an attach): all of it, less blocks */
	ROOT_REGISTER,	  /* (a root word) thread TID's register INDEX:
			   * arch_regs_words() order, then the SSE words */
	ROOT_DTV,	  /* (a root word) glibc's DTV of thread TID, or of
			   * a dead thread (TID 0) */
};

struct scan_range {
	taddr_t start, end; /* [start, end) */
	uint8_t kind;	    /* enum scan_root_kind (roots only) */
	pid_t tid;	    /* the thread of a stack root, else 0 */
	const char *name;   /* the mapping's path, "" or NULL; owned by
			     * whoever made the range */
};

/* What a root word is (parallel to scan_input.root_words). */
struct scan_root_word {
	uint8_t kind; /* ROOT_REGISTER or ROOT_DTV */
	pid_t tid;
	int index; /* the register's */
};

/* Read LEN bytes at ADDR into BUF; returns bytes read (may be short, 0 at
 * an unreadable address) or -errno. */
typedef long (*scan_read_fn)(void *ctx, taddr_t addr, void *buf, size_t len);

enum scan_flags {
	/* glibc malloc: an interior pointer equal to the address of the next
	 * chunk's header (main_arena.top, bins) does not count. */
	SCAN_GLIBC_CHUNKS = 1 << 0,
	/* valgrind's --leak-check-heuristics=stdstring,length64,newarray
	 * (valgrind's default is all four; multipleinheritance needs the
	 * address space map and is not done here). */
	SCAN_HEURISTICS = 1 << 1,
};

/*
 * Which heuristic last judged an interior pointer to a block to count as
 * a start-pointer (valgrind's LC_Extra.heuristic).  Set as valgrind sets
 * it: cleared when a start-pointer reaches an already reachable block;
 * it can stay set on a possibly lost block (reached that way from a
 * possibly lost block), and valgrind counts every block with one in
 * "of which reachable via heuristic".
 */
enum scan_heuristic {
	SCAN_HEUR_NONE = 0,  /* none was needed or none matched */
	SCAN_HEUR_STDSTRING, /* pointer at +24 into a std::string rep */
	SCAN_HEUR_LENGTH64,  /* pointer at +8 after a 64-bit length */
	SCAN_HEUR_NEWARRAY,  /* pointer at +8 after new[]'s count */
	SCAN_HEUR_MULTIPLEINHERITANCE, /* not detected by this classifier */
};

struct scan_holders;

struct scan_input {
	struct scan_block *blocks; /* sorted by addr, non-overlapping */
	size_t nblocks;
	const struct scan_range *roots; /* memory to scan as roots */
	size_t nroots;
	const taddr_t *root_words; /* register values etc. */
	size_t nroot_words;
	/* optional, nroot_words entries: what each root word is (holder
	 * paths name them; the classification does not look) */
	const struct scan_root_word *root_word_info;
	scan_read_fn read;
	void *read_ctx;
	unsigned flags; /* enum scan_flags */
	/* results besides each block's kind and heuristic */
	uint32_t *clique; /* optional, nblocks entries: for an indirectly
			   * lost block its leader's index, else its own */
	struct scan_clique *cliques; /* set: sorted by leader; malloc'd (or
				      * NULL if none), caller frees */
	size_t ncliques;
	/* optional: if set, also who holds each block (scan_holders below),
	 * from the same single read of every block */
	struct scan_holders *holders;
};

struct scan_stats {
	uint64_t root_bytes; /* bytes of root memory scanned */
	uint64_t heap_bytes; /* bytes of block contents scanned */
	uint64_t unreadable; /* bytes that could not be read */
	uint64_t holders_ns; /* time in the holders (scan_input.holders) */
};

/*
 * Classify every block of IN->blocks: sets each one's kind and heuristic,
 * IN->clique[] if given, and IN->cliques.  Never fails (unreadable memory
 * is counted in STATS and skipped).  STATS, if not NULL, is reset first.
 * Reads each block's contents once.  Memory while it runs: 9 bytes per
 * block, 4 more per block that holds a pointer to a block, and 4 per heap
 * word that points into a block.
 */
void scan_classify(struct scan_input *in, struct scan_stats *stats);

/*
 * Who holds a block (holders.c): the graph of the scan, nodes a super-root,
 * the root words that point into blocks ("hits"), and the blocks.
 *
 * A block's link is the last hop of a short chain from a root: its
 * holder (a block, or a hit) and where the pointer lies in the holder.
 * Following links from a still reachable block gives a chain of start
 * pointers, shortest among those; a possibly lost block's chain is the
 * first one found by a breadth-first walk over every pointer; a lost
 * block's starts at a definitely lost block (its own clique's or
 * another's), which has no link.
 *
 * The dominator tree: the super-root's children are the hits and the
 * definitely lost blocks; a pointer from a lost block into a live one is
 * left out, so that garbage does not change what live holders retain.
 * A node's retained bytes and blocks are those of the blocks it
 * dominates, itself included: what freeing it alone would free.
 */
#define SCAN_NO_HOLDER UINT32_MAX   /* no holder: the super-root */
#define SCAN_HOLDER_HIT 0x80000000u /* | index into scan_holders.hits */

struct scan_link {
	uint32_t from;	   /* block index, SCAN_HOLDER_HIT | hit index, or
			    * SCAN_NO_HOLDER (definitely lost) */
	uint32_t from_off; /* offset of the pointer in its holder: the block,
			    * or the root range (0 for a root word);
			    * UINT32_MAX: that far or farther.  Where into
			    * this block it points is the hit's to_off, or
			    * what the word there says (not kept: 4 bytes a
			    * block for what a report shows of a few) */
};

/* A root word that points into a block. */
struct scan_root_hit {
	uint32_t root;	 /* index in scan_input.roots, or nroots + the index
			  * of a root word */
	uint32_t block;	 /* the block it points into */
	uint64_t off;	 /* offset of the word in the range (0: root word) */
	uint32_t to_off; /* where into the block (UINT32_MAX: that far
			  * or farther) */
	uint32_t retained_blocks;
	uint64_t retained_bytes;
};

struct scan_holders {
	/* per block (nblocks entries each; 24 bytes a block in all) */
	struct scan_link *link;
	uint32_t *idom;		   /* immediate dominator: block index,
				    * SCAN_HOLDER_HIT | hit, or
				    * SCAN_NO_HOLDER (the super-root) */
	uint32_t *retained_blocks; /* itself and what it dominates */
	uint64_t *retained_bytes;
	/* the hits, in root order (ranges by address in the range, then
	 * root words); nhits < 2^31 */
	struct scan_root_hit *hits;
	size_t nhits;
	size_t nblocks;
};

/* Free what scan_classify() put in H (not H itself).  H may be zeroed. */
void scan_holders_release(struct scan_holders *h);

/*
 * The chain to block I: fills CHAIN[0..] with the holders from the root
 * end, each as scan_link.from (block index or SCAN_HOLDER_HIT | hit),
 * I itself last.  Returns the chain's length (>= 1; CHAIN[0] is a hit
 * for a block held from a root, a definitely lost block otherwise), or,
 * if it is longer than MAX, that length with only the first MAX - 1
 * entries and I written.  Never fails.
 */
size_t scan_holders_chain(const struct scan_holders *h, size_t i,
			  uint32_t *chain, size_t max);

/* Index of the block containing ADDR in sorted BLOCKS, or -1. */
long scan_find_block(const struct scan_block *blocks, size_t n, taddr_t addr);

#endif

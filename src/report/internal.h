/*
 * Private to src/report/: what the report writers share (frames for the
 * CI formats, the protobuf encoder and the profile writers).  The unit
 * tests include it too; no other module does.
 */
#ifndef LEAKCHECK_REPORT_INTERNAL_H
#define LEAKCHECK_REPORT_INTERNAL_H

#include "leakcheck/report.h"
#include "leakcheck/sym.h"

/* Inline depth written per PC; deeper chains are cut (innermost kept). */
#define REPORT_MAX_INLINE 32

struct report_frame {
	taddr_t pc;	    /* the depot PC (a return address unless depth 0) */
	unsigned depth;	    /* index of that PC in the stack; 0: allocator */
	struct sym_frame f; /* one function of its inline chain */
};

/*
 * The stack of R symbolized, each PC expanded into its inline chain,
 * innermost first, cut as the text report cuts it: at most
 * RC->num_callers PCs, nothing after "main", and a function below main
 * (__libc_start_call_main...) is named "(below main)" and ends it.
 * Returns the number of frames; *OUT is malloc'd (NULL when 0), caller
 * frees; its strings belong to the symbolizer.  Never fails.
 */
size_t report_frames(const struct report_ctx *rc, const struct loss_record *r,
		     struct report_frame **out);

/* writers.c: PATH replaced (outfile.c) by what PUT writes of RES: 0 or
 * -errno (the open's, or the first write error's). */
typedef void (*report_put_fn)(FILE *f, const struct report_ctx *rc,
			      const struct report_result *res);
int report_put_file(const char *path, report_put_fn put,
		    const struct report_ctx *rc,
		    const struct report_result *res);

/* junit.c: the test cases of the CI formats (JUnit, SARIF): records
 * RECS[IDX[0..N)] with their names, and the file and line of their first
 * frame in the program's own code (junit_case_names).  IDX is malloc'd
 * and C owns it from then on; report_cases_release frees it all. */
struct report_cases {
	size_t *idx, n;
	char **names;
	const char **files;
	int *lines;
};
void report_cases_name(struct report_cases *c, const struct report_ctx *rc,
		       const struct loss_record *recs, size_t *idx, size_t n);
void report_cases_release(struct report_cases *c);

/* frames.c: R's stack from the depot cut to --num-callers: its PCs, *N of
 * them; NULL and 0 if it has none. */
const taddr_t *report_stack(const struct report_ctx *rc,
			    const struct loss_record *r, unsigned *n);
/* PC's inline chain through RC's symbolizer into OUT (REPORT_MAX_INLINE
 * entries), innermost first; never fewer than one frame (a bare PC).
 * IS_RETURN: PC is a return address. */
int report_lookup(const struct report_ctx *rc, taddr_t pc, int is_return,
		  struct sym_frame *out);
/* memcheck's VG_(get_fnname_kind): where a stack ends. */
enum report_fn_kind {
	RFN_NORMAL, /* any function */
	RFN_MAIN,   /* "main": the stack ends after it */
	RFN_BELOW,  /* libc's caller of main: "(below main)", and ends */
};
enum report_fn_kind report_fn_kind(const char *name);

/* S as a JSON string ("null" for NULL): escapes, \u00XX for control
 * bytes, U+FFFD for bytes that are not UTF-8. */
void report_json_str(FILE *f, const char *s);

/* "160 (32 direct, 128 indirect) bytes in 1 blocks are definitely lost";
 * malloc'd, caller frees. */
char *report_record_message(const struct loss_record *r);

/* holders.c: a root that holds a block, named. */
struct report_root {
	const char *kind; /* "global", "static", "data" (a module's, no
			   * symbol), "stack", "tls", "register", "dtv",
			   * "mmap", "heap", "dead-thread" */
	taddr_t addr;	  /* the word's address (0: a root word) */
	const char *name; /* the variable or register, or NULL */
	uint64_t off;	  /* into the variable, or (data) the module */
	const char *file; /* the variable's declaration, or NULL */
	int line;
	const char *module;	/* the module or mapped file, or NULL */
	pid_t tid;		/* a stack's or register's thread, else 0 */
	taddr_t sp, tp;		/* that thread's, 0 if unknown */
	const char *frame_func; /* a stack: the frame holding the word */
	const char *frame_file;
	int frame_line;
	int frame_called_from; /* frame_func called that frame */
	char *text;	       /* all of it as a phrase, malloc'd */
};

/* Hit HIT of RC->holders named into OUT (strings but text belong to the
 * symbolizer); report_root_release() frees it.  Never fails. */
void report_holder_root(const struct report_ctx *rc, uint32_t hit,
			struct report_root *out);
void report_root_release(struct report_root *r);
/* Where the pointer that links block B to its holder points into B: its
 * hit's to_off, or the word at the link's offset in the holder block, read
 * from the process (0 if it cannot be read, or for a block with no
 * holder).  Never fails. */
uint32_t report_link_to_off(const struct report_holders *rh, uint32_t b);
/* "0x4a5b040 (16 bytes, allocated at add (prog.c:20))"; malloc'd. */
char *report_holder_block(const struct report_ctx *rc, uint32_t block);

/* One of the top holders: a root name's hits, or the live blocks of one
 * allocation stack. */
struct report_top {
	int is_root;		/* a root's (NAME), else blocks' (STACK_ID) */
	char *name;		/* the root, without offset; NULL for blocks */
	uint32_t index;		/* the hit, or block, that retains the most */
	uint32_t stack_id;	/* blocks: their allocation stack */
	uint64_t bytes, blocks; /* retained, none counted twice in a group */
	uint64_t members;	/* hits or blocks in the group */
};
/* The RC->holders->top holders by retained bytes into *OUT (malloc'd,
 * free with report_top_free()); returns how many.  Never fails. */
size_t report_top_holders(const struct report_ctx *rc, struct report_top **out);
void report_top_free(struct report_top *t, size_t n);

/* suppress.c: valgrind's VG_(string_match) glob: '*', '?', and '\\'
 * quoting the next character. */
int report_glob_match(const char *pat, const char *str);

/* FNV-1a, 64 bits, of S: an id that needs stability, not secrecy. */
uint64_t report_fnv1a(const char *s);

/* The part of PATH after the last '/'; NULL for NULL. */
const char *report_base_name(const char *path);

#include <stdint.h>
#include "leakcheck/profile.h"
#include "leakcheck/sym.h"

/* pb.c: protobuf wire format into a growable buffer.  Never fails. */
struct pb {
	unsigned char *buf;
	size_t len, cap;
};

enum pb_wire {
	PB_VARINT = 0, /* int32/64, uint32/64, bool, enum */
	PB_LEN = 2,    /* string, bytes, embedded message, packed repeated */
};

void pb_varint(struct pb *b, uint64_t v);
void pb_key(struct pb *b, unsigned field, enum pb_wire wire);
/* Varint field FIELD = V; omitted when V is 0 (proto3 default). */
void pb_uint(struct pb *b, unsigned field, uint64_t v);
/* Length-delimited field FIELD holding LEN bytes of P (always written). */
void pb_bytes(struct pb *b, unsigned field, const void *p, size_t len);
/* Packed repeated varint field; omitted when N is 0. */
void pb_packed(struct pb *b, unsigned field, const uint64_t *v, size_t n);
/* An embedded message: pb_msg_begin() returns a mark for pb_msg_end(),
 * which writes the key and length in front of what was added since. */
size_t pb_msg_begin(struct pb *b);
void pb_msg_end(struct pb *b, unsigned field, size_t mark);
void pb_release(struct pb *b);

/* gzip (mtime 0, so the output is byte-stable) of IN into *OUT (malloc'd,
 * caller frees).  Never fails. */
void gzip_buffer(const void *in, size_t len, unsigned char **out,
		 size_t *outlen);

/* samples.c: a sample is every sampled block of one (stack, kind). */
struct pf_group {
	uint32_t stack_id;
	uint8_t kind;	/* enum leak_kind, or LEAK_NKINDS if unclassified */
	double objects; /* weighted by 1 / P(sampled) */
	double bytes;
	/* with profile_data.holders: what its blocks retain (not weighted:
	 * a block's retained size is known exactly), a block dominated by
	 * one of the same stack counted there only */
	uint64_t retained_objects, retained_bytes;
};

/* Groups of D's sampled blocks, sorted by stack id then kind.  Blocks of
 * STACK_ID_UNSAMPLED are left out.  Malloc'd; never fails. */
struct pf_group *pf_groups(const struct profile_data *d, size_t *n);

/* The PCs of a stack as the profiles show it: the allocator's own entry
 * frame (frame 0) is dropped unless it is the only one, so a profile's
 * leaf is the function that called malloc.  *FIRST is the index of the
 * first PC kept (it is a return address when > 0). */
const taddr_t *pf_stack(const struct profile_data *d, uint32_t id, unsigned *n,
			unsigned *first);

/* Symbolize PC into OUT[0..max), innermost first; at least one frame. */
int pf_lookup(const struct profile_data *d, taddr_t pc, int is_return,
	      struct sym_frame *out, int max);

/* The name a frame gets in folded stacks and flame graphs, in BUF (at
 * least 64 bytes) when it needs making: the function, else
 * "[module basename]", else "0xPC".  ';' and newlines become ':'/' '. */
const char *pf_frame_name(const struct sym_frame *f, char *buf, size_t len);

#define PF_MAX_INLINE 32

#endif

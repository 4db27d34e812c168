/*
 * Shared by the report writers only (no other module includes this).
 */
#ifndef LEAKCHECK_REPORT_INTERNAL_H
#define LEAKCHECK_REPORT_INTERNAL_H

#include "leakcheck/report.h"
#include "leakcheck/sym.h"

/* Inline depth written per PC; deeper chains are cut (innermost kept). */
#define REPORT_MAX_INLINE 32

struct report_frame {
	taddr_t pc;         /* the depot PC (a return address unless depth 0) */
	unsigned depth;     /* index of that PC in the stack; 0: allocator */
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

/* The part of PATH after the last '/'; NULL for NULL. */
const char *report_base_name(const char *path);

#endif

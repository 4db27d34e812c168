/*
 * frames: a loss record's stack as every report shows it: the depot's
 * PCs cut to --num-callers, each symbolized into its inline chain
 * (innermost first; a bare PC when nothing is known), and the stack
 * ended after main or at libc's caller of main, "(below main)", as
 * memcheck's VG_(get_fnname_kind) decides.
 */
#include <string.h>

#include "internal.h"
#include "leakcheck/depot.h"
#include "leakcheck/util.h"

const taddr_t *report_stack(const struct report_ctx *rc,
			    const struct loss_record *r, unsigned *n)
{
	const taddr_t *pcs = NULL;

	*n = 0;
	if (rc->depot)
		pcs = stack_depot_get(rc->depot, r->stack_id, n);
	if (!pcs) {
		*n = 0;
		return NULL;
	}
	if (rc->num_callers && rc->num_callers < *n)
		*n = rc->num_callers;
	return pcs;
}

int report_lookup(const struct report_ctx *rc, taddr_t pc, int is_return,
		  struct sym_frame *out)
{
	int n = 0;

	if (rc->sym)
		n = rc->sym(rc->sym_ctx, pc, is_return, out, REPORT_MAX_INLINE);
	if (n <= 0) {
		memset(out, 0, sizeof(*out));
		out->pc = pc;
		n = 1;
	}
	if (n > REPORT_MAX_INLINE)
		n = REPORT_MAX_INLINE;
	return n;
}

enum report_fn_kind report_fn_kind(const char *name)
{
	static const char *const below[] = {
	    "__libc_start_main", "__libc_start_main_impl",
	    "__libc_start_call_main", "generic_start_main"};

	if (!name)
		return RFN_NORMAL;
	if (!strcmp(name, "main"))
		return RFN_MAIN;
	for (size_t i = 0; i < ARRAY_SIZE(below); i++)
		if (!strcmp(name, below[i]))
			return RFN_BELOW;
	return RFN_NORMAL;
}

size_t report_frames(const struct report_ctx *rc, const struct loss_record *r,
		     struct report_frame **out)
{
	unsigned n;
	const taddr_t *pcs = report_stack(rc, r, &n);
	size_t nf = 0, cap = 0;
	struct report_frame *v = NULL;

	for (unsigned i = 0; i < n; i++) {
		struct sym_frame fr[REPORT_MAX_INLINE];
		int k = report_lookup(rc, pcs[i], i > 0, fr);
		enum report_fn_kind kind = report_fn_kind(fr[k - 1].func);

		/* the real (outermost) function decides */
		if (kind == RFN_BELOW)
			fr[k - 1].func = "(below main)";
		v = xgrow(v, &cap, nf + (size_t)k, sizeof(*v));
		for (int j = 0; j < k; j++) {
			v[nf].pc = pcs[i];
			v[nf].depth = i;
			v[nf].f = fr[j];
			nf++;
		}
		if (kind != RFN_NORMAL)
			break;
	}
	*out = v;
	return nf;
}

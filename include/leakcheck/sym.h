/*
 * sym: turn tracee PCs into function, file:line and module with libdwfl,
 * at report time only.  Results are cached per PC.
 */
#ifndef LEAKCHECK_SYM_H
#define LEAKCHECK_SYM_H

#include "leakcheck/types.h"

struct sym_frame {
	taddr_t pc;	     /* the address looked up */
	const char *func;    /* demangled function name or NULL */
	const char *mangled; /* the name as the object spells it, or NULL:
			      * the ELF symbol for the real function
			      * ("_ZN1A1fEv", "foo.constprop.0"), the DWARF
			      * linkage name (else name) for an inlined one;
			      * what valgrind's fun: suppressions match */
	const char *file;    /* source file (full path as in DWARF) or NULL */
	int line;	     /* 0 if unknown */
	const char *module;  /* module path or NULL */
	int inlined;	     /* 1 if this frame is inlined into the next one */
	taddr_t module_base; /* where the module is mapped (lowest address),
			      * 0 if no module */
};

struct symbolizer;

/*
 * Build a symbolizer from the text of /proc/PID/maps as captured at some
 * point (the process need not be alive).  Returns NULL and sets errno on
 * failure.  Caller frees with sym_free().
 */
struct symbolizer *sym_new_from_maps(const char *maps_text, pid_t pid);
void sym_free(struct symbolizer *s);

/*
 * Resolve PC.  IS_RETURN: PC is a return address, so look up PC - 1
 * (the call instruction) but report PC.  Fills OUT[0..] with the inline
 * chain, innermost first; returns the number of frames (>= 1; a PC that
 * resolves to nothing gives one frame with NULL names).  Strings are owned
 * by the symbolizer and live as long as it.
 */
int sym_lookup(struct symbolizer *s, taddr_t pc, int is_return,
	       struct sym_frame *out, int max);

/* The path of the module PC (PC - 1 if IS_RETURN) lies in, or NULL: what
 * sym_lookup's frames would say as their module, without reading any
 * debug information.  Owned by S. */
const char *sym_module_of(struct symbolizer *s, taddr_t pc, int is_return);

/* NAME as a report shows a function: demangled when it is a C++ name
 * (and leakcheck can demangle), interned in S (valid while S lives). */
const char *sym_func_name(struct symbolizer *s, const char *name);

/* A data address: the variable (symbol) holding it, if known. */
struct sym_data {
	const char *name;    /* the variable (demangled), or NULL */
	int local;	     /* a static (STB_LOCAL) one */
	uint64_t off;	     /* the address's offset into it */
	const char *file;    /* where it is declared (DWARF), or NULL */
	int line;	     /* 0 if unknown */
	const char *module;  /* module path, or NULL */
	taddr_t module_base; /* the module's lowest mapped address */
};

/*
 * Resolve a data address (.data, .bss, a static local) through the
 * modules' symbol tables (STT_OBJECT and the like) and their DWARF
 * variables (file:line of the declaration).  Returns 1 and fills OUT if
 * a module's image holds ADDR (OUT->name may still be NULL), else 0 with
 * OUT zeroed.  Strings live as long as S.
 */
int sym_lookup_data(struct symbolizer *s, taddr_t addr, struct sym_data *out);

/*
 * Name a thread's static TLS word BELOW bytes under its thread pointer
 * when it lies in the TLS block of MODULE (a path as the maps name it),
 * the program's executable, whose block glibc puts first (right under
 * the thread control block on x86-64): its __thread variable (STT_TLS
 * symbol, DWARF file:line) and the offset into it.  Returns 1 and fills
 * OUT (OUT->name may be NULL) if the word lies in that block, else 0
 * with OUT zeroed.  Strings live as long as S.
 */
int sym_lookup_tls(struct symbolizer *s, const char *module, uint64_t below,
		   struct sym_data *out);

#endif

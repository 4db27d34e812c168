/*
 * sym: turn tracee PCs into function, file:line and module with libdwfl.
 *
 * A symbolizer is built once, at report time, from the text of
 * /proc/PID/maps captured while the tracee was alive.  The tracee may be
 * dead by now, so modules are found by their file paths only: we never
 * read tracee memory and never let libdwfl ptrace-attach (the tracer
 * already holds ptrace).  That also means no [vdso] module and no symbols
 * for mappings whose file is "(deleted)".
 *
 * One lookup gives the inline chain at the PC, innermost first:
 *
 *   frame 0     the innermost function (an inlined one, or the real one);
 *               its file:line comes from the line table
 *   frame i+1   the function that frame i was inlined into; its file:line
 *               is frame i's DW_AT_call_file/DW_AT_call_line
 *
 * Every frame but the last has inlined = 1.  The chain is found the way
 * eu-addr2line -i does it: dwarf_getscopes() finds the innermost scope at
 * the PC, and dwarf_getscopes_die() on that scope gives its concrete
 * nesting (dwarf_getscopes() itself switches to the abstract definition
 * after an inlined instance, which loses the callers).
 *
 * The CU comes from .debug_aranges (dwfl_module_addrdie()) when the CU it
 * names does cover the PC, else from a per-module table of the CUs' own
 * ranges, since clang emits no aranges and Go's are partial.
 * The real function is named by DWARF when it can be ("foo", not the
 * symbol "foo.constprop.0"), else by .symtab/.dynsym.  Without DWARF a
 * module still gives that symbol and the module path; file is NULL and
 * line 0.
 *
 * Invariants:
 *  - every string handed out is interned in S->strs and lives until
 *    sym_free(); equal strings are the same pointer;
 *  - every (pc, is_return) resolved once is cached: its frames sit in
 *    S->frames[first .. first + n) and never move index (the pool only
 *    grows), so a second lookup copies the same pointers.
 *
 * Each frame also carries the name as the object spells it (mangled):
 * the ELF symbol for the real function, the DWARF linkage name for an
 * inlined one, the way valgrind names frames for suppressions.  Of
 * several symbols at one address, the one with the fewest leading
 * underscores is taken, as valgrind prefers ("strdup", not "__strdup"),
 * and a plain name over an old version's ("dlopen@GLIBC_2.2.5").
 *
 * Demangling: libdw has no demangler and leakcheck links no C++ runtime.
 * __cxa_demangle is referenced weakly: it is used when libstdc++ happens
 * to be in the process (for instance through libubsan in DEBUG=1
 * builds); otherwise C++ names stay mangled.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakcheck/sym.h"
#include "leakcheck/util.h"

/* Resolved only when libstdc++ is loaded; NULL otherwise. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len,
			    int *status) __attribute__((weak));

/* Inline chains deeper than this are cut at the outer end. */
#define SYM_MAX_DEPTH 64

struct cache_ent {
	taddr_t pc;	   /* the PC as passed to sym_lookup() */
	uint32_t first;	   /* index of the first frame in S->frames */
	uint16_t n;	   /* number of frames, >= 1 */
	uint8_t is_return; /* the IS_RETURN it was looked up with */
	uint8_t used;	   /* slot holds an entry */
};

/* A CU's address range, for modules whose CUs .debug_aranges misses. */
struct cu_range {
	Dwarf_Addr lo, hi; /* [lo, hi), module-relative (before bias) */
	Dwarf_Die cu;
};

/* A variable at a fixed address (DW_OP_addr), for data addresses, or
 * (VAR_TLS | offset) at an offset in the module's TLS block. */
#define VAR_TLS (1ull << 63)
struct var_ent {
	Dwarf_Addr addr;  /* module-relative (before bias) */
	const char *name; /* DW_AT_name, interned, or NULL */
	const char *file; /* declared in, interned, or NULL */
	int line;
};

/* Per module: its CU ranges sorted by lo, and its variables sorted by
 * address, each built on first need. */
struct mod_cus {
	Dwfl_Module *mod;
	struct cu_range *r;
	size_t n;
	struct var_ent *v;
	size_t nv;
	int vars_done;
};

struct symbolizer {
	Dwfl *dwfl;

	/* (pc, is_return) -> frames; open addressing, power-of-2 size */
	struct cache_ent *cache;
	size_t cache_cap, cache_n;
	struct sym_frame *frames; /* frame pool, only grows */
	size_t frames_n, frames_cap;

	/* interned strings; open addressing, power-of-2 size */
	char **strs;
	size_t strs_cap, strs_n;

	struct mod_cus *mods; /* a few dozen at most: searched linearly */
	size_t mods_n, mods_cap;
};

/* String table */

static uint64_t hash_str(const char *p)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void strs_grow(struct symbolizer *s)
{
	size_t cap = s->strs_cap ? s->strs_cap * 2 : 256;
	char **t = xcalloc(cap, sizeof(*t));
	for (size_t i = 0; i < s->strs_cap; i++) {
		char *str = s->strs[i];
		if (!str)
			continue;
		size_t j = hash_str(str) & (cap - 1);
		while (t[j])
			j = (j + 1) & (cap - 1);
		t[j] = str;
	}
	free(s->strs);
	s->strs = t;
	s->strs_cap = cap;
}

/* Returns the interned copy of STR, or NULL for NULL. */
static const char *intern(struct symbolizer *s, const char *str)
{
	if (!str)
		return NULL;
	if ((s->strs_n + 1) * 2 > s->strs_cap)
		strs_grow(s);
	size_t mask = s->strs_cap - 1;
	size_t i = hash_str(str) & mask;
	while (s->strs[i]) {
		if (!strcmp(s->strs[i], str))
			return s->strs[i];
		i = (i + 1) & mask;
	}
	s->strs[i] = xstrdup(str);
	s->strs_n++;
	return s->strs[i];
}

/* Interns NAME demangled when it is a C++ name and we can demangle. */
static const char *intern_func(struct symbolizer *s, const char *name)
{
	if (name && name[0] == '_' && name[1] == 'Z' && __cxa_demangle) {
		int status = -1;
		char *d = __cxa_demangle(name, NULL, NULL, &status);
		if (d && status == 0) {
			const char *r = intern(s, d);
			free(d);
			return r;
		}
		free(d);
	}
	return intern(s, name);
}

const char *sym_func_name(struct symbolizer *s, const char *name)
{
	return intern_func(s, name);
}

/* PC cache */

static size_t hash_pc(taddr_t pc, int is_return)
{
	uint64_t h = (pc ^ (uint64_t)is_return) * 0x9e3779b97f4a7c15ULL;
	return (size_t)(h ^ (h >> 29));
}

static struct cache_ent *cache_find(struct symbolizer *s, taddr_t pc,
				    int is_return)
{
	if (!s->cache_cap)
		return NULL;
	size_t mask = s->cache_cap - 1;
	size_t i = hash_pc(pc, is_return) & mask;
	while (s->cache[i].used) {
		if (s->cache[i].pc == pc && s->cache[i].is_return == is_return)
			return &s->cache[i];
		i = (i + 1) & mask;
	}
	return NULL;
}

static void cache_put(struct symbolizer *s, const struct cache_ent *e)
{
	if ((s->cache_n + 1) * 2 > s->cache_cap) {
		size_t cap = s->cache_cap ? s->cache_cap * 2 : 1024;
		struct cache_ent *t = xcalloc(cap, sizeof(*t));
		for (size_t i = 0; i < s->cache_cap; i++) {
			if (!s->cache[i].used)
				continue;
			size_t j =
			    hash_pc(s->cache[i].pc, s->cache[i].is_return) &
			    (cap - 1);
			while (t[j].used)
				j = (j + 1) & (cap - 1);
			t[j] = s->cache[i];
		}
		free(s->cache);
		s->cache = t;
		s->cache_cap = cap;
	}
	size_t mask = s->cache_cap - 1;
	size_t i = hash_pc(e->pc, e->is_return) & mask;
	while (s->cache[i].used)
		i = (i + 1) & mask;
	s->cache[i] = *e;
	s->cache[i].used = 1;
	s->cache_n++;
}

/* libdwfl callbacks */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/*
 * Like dwfl_linux_proc_find_elf(), but a "(deleted)" file is simply not
 * found: libdwfl would otherwise try to read it from the tracee's memory,
 * attaching with ptrace if it knew the pid.
 * XXX: /proc/PID/map_files/ could recover it while the tracee lives, but
 * needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE.
 */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name,
		    Dwarf_Addr base, char **file_name, Elf **elfp)
{
	if (name[0] != '/' || ends_with(name, " (deleted)"))
		return -1;
	return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name,
					elfp);
}

/* Searched next to the file, in its .debug/, then in /usr/lib/debug. */
/*
 * Separate debug info is found the standard way (libdwfl): a
 * .gnu_debuglink next to the file or in .debug/, /usr/lib/debug and its
 * .build-id tree, and -- with DEBUGINFOD_URLS set -- the debuginfod
 * servers it names, through elfutils' client (cached in
 * ~/.cache/debuginfod_client).  A download must never hold a report for
 * long: unless the user set their own, DEBUGINFOD_TIMEOUT is
 * SYM_DEBUGINFOD_TIMEOUT seconds (the client's default is 90) and, on a
 * terminal, DEBUGINFOD_PROGRESS shows what is being fetched.
 */
#define SYM_DEBUGINFOD_TIMEOUT "10"

static void debuginfod_defaults(void)
{
	if (!getenv("DEBUGINFOD_URLS"))
		return;
	setenv("DEBUGINFOD_TIMEOUT", SYM_DEBUGINFOD_TIMEOUT, 0);
	if (isatty(2))
		setenv("DEBUGINFOD_PROGRESS", "1", 0);
}

static char debuginfo_path_buf[] = ":.debug:/usr/lib/debug";
static char *debuginfo_path = debuginfo_path_buf;

static const Dwfl_Callbacks callbacks = {
    .find_elf = find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

struct symbolizer *sym_new_from_maps(const char *maps_text, pid_t pid)
{
	struct symbolizer *s;
	size_t len = maps_text ? strlen(maps_text) : 0;
	int ret = 0;

	s = xcalloc(1, sizeof(*s));
	debuginfod_defaults();
	s->dwfl = dwfl_begin(&callbacks);
	if (!s->dwfl) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	dwfl_report_begin(s->dwfl);
	if (len) {
		FILE *f = fmemopen((void *)maps_text, len, "r");
		if (!f) {
			int e = errno;
			sym_free(s);
			errno = e;
			return NULL;
		}
		ret = dwfl_linux_proc_maps_report(s->dwfl, f);
		fclose(f);
	}
	if (ret > 0) {
		/* ENOEXEC: a line that is not a maps line */
		debug("cannot parse maps of pid %d: %s", (int)pid,
		      strerror(ret));
		sym_free(s);
		errno = ret == ENOEXEC ? EINVAL : ret;
		return NULL;
	}
	if (ret < 0)
		/* libdwfl refused a module; keep those reported before it */
		debug("maps of pid %d: %s", (int)pid, dwfl_errmsg(-1));
	if (dwfl_report_end(s->dwfl, NULL, NULL) != 0) {
		sym_free(s);
		errno = EINVAL;
		return NULL;
	}
	return s;
}

void sym_free(struct symbolizer *s)
{
	if (!s)
		return;
	if (s->dwfl)
		dwfl_end(s->dwfl);
	for (size_t i = 0; i < s->strs_cap; i++)
		free(s->strs[i]);
	free(s->strs);
	free(s->cache);
	free(s->frames);
	for (size_t i = 0; i < s->mods_n; i++) {
		free(s->mods[i].r);
		free(s->mods[i].v);
	}
	free(s->mods);
	free(s);
}

/* Finding the CU */

static int cmp_cu_range(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static struct mod_cus *mod_cus_get(struct symbolizer *s, Dwfl_Module *mod)
{
	struct mod_cus *m;
	size_t cap = 0;
	Dwarf_Die *cu = NULL;
	Dwarf_Addr bias;

	for (size_t i = 0; i < s->mods_n; i++)
		if (s->mods[i].mod == mod)
			return &s->mods[i];

	s->mods = xgrow(s->mods, &s->mods_cap, s->mods_n + 1, sizeof(*s->mods));
	m = &s->mods[s->mods_n++];
	memset(m, 0, sizeof(*m));
	m->mod = mod;
	while ((cu = dwfl_module_nextcu(mod, cu, &bias))) {
		Dwarf_Addr base, lo, hi;
		ptrdiff_t off = 0;
		while ((off = dwarf_ranges(cu, off, &base, &lo, &hi)) > 0) {
			if (lo >= hi)
				continue;
			m->r = xgrow(m->r, &cap, m->n + 1, sizeof(*m->r));
			m->r[m->n].lo = lo;
			m->r[m->n].hi = hi;
			m->r[m->n].cu = *cu;
			m->n++;
		}
	}
	if (m->n)
		qsort(m->r, m->n, sizeof(*m->r), cmp_cu_range);
	return m;
}

/*
 * The CU DIE covering ADDR in MOD, or NULL; *BIAS is the module's load
 * bias.  dwfl_module_addrdie() only knows .debug_aranges, which clang
 * does not emit by default, so fall back to the CUs' own ranges.
 */
static Dwarf_Die *find_cu(struct symbolizer *s, Dwfl_Module *mod,
			  Dwarf_Addr addr, Dwarf_Addr *bias)
{
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, bias);
	struct mod_cus *m;
	size_t lo = 0, hi;

	/* Go's linker writes aranges for its C objects only, and libdw then
	 * answers for a Go function with some C CU (runtime/cgo's
	 * gcc_mmap.c): believe it only if the CU does cover ADDR */
	if (cu && dwarf_haspc(cu, addr - *bias) == 1)
		return cu;
	if (!dwfl_module_getdwarf(mod, bias))
		return NULL; /* no DWARF at all */
	m = mod_cus_get(s, mod);
	addr -= *bias;
	/* the last range starting at or below ADDR */
	hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->r[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= m->r[lo - 1].hi)
		return NULL;
	return &m->r[lo - 1].cu;
}

/* Resolving */

/*
 * The name of DIE as the object spells it: any linkage name (C++'s
 * "_Z...", an asm label), else DW_AT_name; NULL if it has neither.
 */
static const char *die_mangled(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name;

	name = dwarf_formstring(
	    dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(
		    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(
		    dwarf_attr_integrate(die, DW_AT_name, &attr));
	return name;
}

/*
 * The name of a subprogram or inlined_subroutine DIE, or NULL.  A C++
 * linkage name ("_Z...") beats DW_AT_name, which lacks scope and
 * parameters; any other linkage name is an asm label such as glibc's
 * "__GI___libc_malloc", worse than the plain name.
 */
static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *linkage, *name;

	linkage = dwarf_formstring(
	    dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
	if (!linkage)
		linkage = dwarf_formstring(
		    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	if (linkage && !strncmp(linkage, "_Z", 2))
		return linkage;
	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
	return name ? name : linkage;
}

static int is_function(Dwarf_Die *die)
{
	int tag = dwarf_tag(die);
	return tag == DW_TAG_subprogram || tag == DW_TAG_entry_point;
}

/*
 * Fills F[0..max) with the inline chain at ADDR (module-relative) in
 * CUDIE (may be NULL), innermost first, and returns the number of frames
 * (>= 1).  FILE/LINE are the line table's answer for ADDR; SYMNAME is the
 * ELF symbol there, used when DWARF has no name for the real function or
 * no DWARF at all.
 */
static int fill_chain(struct symbolizer *s, Dwarf_Die *cudie, Dwarf_Addr addr,
		      const char *symname, const char *file, int line,
		      struct sym_frame *f, int max)
{
	Dwarf_Die *scopes = NULL, *chain = NULL;
	Dwarf_Files *files = NULL;
	int n = 0, nchain = 0;

	if (cudie && dwarf_getscopes(cudie, addr, &scopes) > 0)
		nchain = dwarf_getscopes_die(&scopes[0], &chain);

	for (int i = 0; i < nchain && n < max - 1; i++) {
		Dwarf_Die *die = &chain[i];
		Dwarf_Attribute attr;
		Dwarf_Word val;

		if (is_function(die))
			break;
		if (dwarf_tag(die) != DW_TAG_inlined_subroutine)
			continue; /* lexical block and the like */

		f[n].func = intern_func(s, die_name(die));
		f[n].mangled = intern(s, die_mangled(die));
		f[n].file = intern(s, file);
		f[n].line = line;
		f[n].inlined = 1;
		n++;

		/* the caller's location is where it called this one */
		file = NULL;
		line = 0;
		if (!files) {
			Dwarf_Die cu;
			if (!dwarf_diecu(die, &cu, NULL, NULL) ||
			    dwarf_getsrcfiles(&cu, &files, NULL) != 0)
				files = NULL;
		}
		if (files &&
		    dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr),
				    &val) == 0)
			file = dwarf_filesrc(files, val, NULL, NULL);
		if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr),
				    &val) == 0)
			line = (int)val;
	}

	/*
	 * The real function: DWARF's name for it (C++ linkage name, or the
	 * plain name; not "foo.constprop.0"), else the ELF symbol.
	 */
	const char *name = NULL, *mangled = NULL;
	for (int i = 0; i < nchain; i++) {
		if (is_function(&chain[i])) {
			name = die_name(&chain[i]);
			mangled = die_mangled(&chain[i]);
			break;
		}
	}
	f[n].func = intern_func(s, name ? name : symname);
	/* valgrind names the real function by its ELF symbol */
	f[n].mangled = intern(s, symname ? symname : mangled);
	f[n].file = intern(s, file);
	f[n].line = line;
	f[n].inlined = 0;
	n++;

	free(chain);
	free(scopes);
	return n;
}

/* Lower is better: leading underscores first, then a "@VERSION" suffix
 * (an old version's name in .symtab). */
static int alias_rank(const char *s)
{
	int n = 0;
	while (s[n] == '_')
		n++;
	return 2 * n + (strchr(s, '@') != NULL);
}

/*
 * NAME is the symbol libdwfl chose for the function at START; among the
 * function symbols at that address, the one valgrind names it by: the
 * fewest leading underscores ("strdup", not glibc's "__strdup"), so that
 * fun: lines valgrind generated match.  C++ names are left alone.
 */
static const char *preferred_alias(Dwfl_Module *mod, const char *name,
				   GElf_Addr start)
{
	int n = dwfl_module_getsymtab(mod);
	int best = alias_rank(name);

	if (best == 0 || !strncmp(name, "_Z", 2))
		return name;
	for (int i = 1; i < n && best > 0; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		const char *a = dwfl_module_getsym_info(mod, i, &sym, &addr,
							NULL, NULL, NULL);
		if (!a || addr != start ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
			continue;
		if (alias_rank(a) < best) {
			best = alias_rank(a);
			name = a;
		}
	}
	return name;
}

/* Resolves PC into F[0..max) and returns the number of frames (>= 1). */
static int resolve(struct symbolizer *s, taddr_t pc, int is_return,
		   struct sym_frame *f, int max)
{
	Dwarf_Addr addr = is_return && pc ? pc - 1 : pc;
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, addr);
	const char *module, *symname = NULL, *file = NULL;
	int line = 0, n;

	memset(f, 0, sizeof(*f));
	f[0].pc = pc;
	if (!mod)
		return 1; /* nothing mapped there */
	Dwarf_Addr mod_start = 0;
	module = intern(s, dwfl_module_info(mod, NULL, &mod_start, NULL, NULL,
					    NULL, NULL, NULL));

	GElf_Off off;
	GElf_Sym sym;
	symname = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (symname)
		symname = preferred_alias(mod, symname, addr - off);

	Dwarf_Addr bias = 0;
	Dwarf_Die *cudie = find_cu(s, mod, addr, &bias);
	Dwarf_Line *dl = cudie ? dwarf_getsrc_die(cudie, addr - bias) : NULL;
	if (dl && (file = dwarf_linesrc(dl, NULL, NULL)) != NULL)
		dwarf_lineno(dl, &line);

	n = fill_chain(s, cudie, addr - bias, symname, file, line, f, max);
	for (int i = 0; i < n; i++) {
		f[i].pc = pc;
		f[i].module = module;
		f[i].module_base = mod_start;
	}
	return n;
}

const char *sym_module_of(struct symbolizer *s, taddr_t pc, int is_return)
{
	Dwfl_Module *mod =
	    dwfl_addrmodule(s->dwfl, is_return && pc ? pc - 1 : pc);

	if (!mod)
		return NULL;
	return intern(
	    s, dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
}

int sym_lookup(struct symbolizer *s, taddr_t pc, int is_return,
	       struct sym_frame *out, int max)
{
	struct cache_ent *e;

	BUG_ON(max < 1);
	is_return = !!is_return;
	e = cache_find(s, pc, is_return);
	if (!e) {
		struct sym_frame tmp[SYM_MAX_DEPTH];
		struct cache_ent ne = {.pc = pc, .is_return = is_return};
		int n = resolve(s, pc, is_return, tmp, SYM_MAX_DEPTH);

		s->frames = xgrow(s->frames, &s->frames_cap, s->frames_n + n,
				  sizeof(*s->frames));
		memcpy(s->frames + s->frames_n, tmp, n * sizeof(*tmp));
		ne.first = (uint32_t)s->frames_n;
		ne.n = (uint16_t)n;
		s->frames_n += n;
		cache_put(s, &ne);
		e = cache_find(s, pc, is_return);
	}
	int n = e->n < max ? e->n : max;
	memcpy(out, s->frames + e->first, n * sizeof(*out));
	return n;
}

/* Data addresses */

static int cmp_var(const void *a, const void *b)
{
	const struct var_ent *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The variables under DIE (a CU, a function, a block, a namespace) that
 * live at a fixed address, into M; DEPTH bounds the nesting. */
static void collect_vars(struct symbolizer *s, struct mod_cus *m,
			 Dwarf_Die *die, Dwarf_Die *cu, size_t *cap, int depth)
{
	Dwarf_Die child;

	if (depth > 16 || dwarf_child(die, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);
		Dwarf_Attribute at, ax;
		Dwarf_Addr addr;
		Dwarf_Word fileno;
		const char *file;
		Dwarf_Op *ops;
		size_t nops;
		int line = 0;

		switch (tag) {
		case DW_TAG_variable:
			if (!dwarf_attr(&child, DW_AT_location, &at) ||
			    dwarf_getlocation(&at, &ops, &nops) != 0 ||
			    nops < 1 || nops > 2)
				break;
			if (nops == 2 &&
			    (ops[1].atom == DW_OP_GNU_push_tls_address ||
			     ops[1].atom == DW_OP_form_tls_address) &&
			    ops[0].atom >= DW_OP_const1u &&
			    ops[0].atom <= DW_OP_consts)
				/* a __thread one: its offset in the TLS
				 * block, as its STT_TLS symbol's value */
				addr = VAR_TLS | ops[0].number;
			else if (nops == 2)
				break;
			else if (ops[0].atom == DW_OP_addr)
				addr = ops[0].number;
			else if ((ops[0].atom == DW_OP_addrx ||
				  ops[0].atom == DW_OP_GNU_addr_index) &&
				 dwarf_getlocation_attr(&at, ops, &ax) == 0 &&
				 dwarf_formaddr(&ax, &addr) == 0)
				; /* DWARF 5's .debug_addr (clang) */
			else
				break;
			m->v = xgrow(m->v, cap, m->nv + 1, sizeof(*m->v));
			dwarf_decl_line(&child, &line);
			file = dwarf_decl_file(&child);
			/* DWARF 5's file 0 is the CU's own (clang), which
			 * libdw 0.188 does not give */
			if (!file &&
			    dwarf_attr_integrate(&child, DW_AT_decl_file,
						 &ax) &&
			    dwarf_formudata(&ax, &fileno) == 0 && fileno == 0)
				file = dwarf_diename(cu);
			m->v[m->nv++] = (struct var_ent){
			    .addr = addr,
			    .name = intern(s, dwarf_diename(&child)),
			    .file = intern(s, file),
			    .line = line,
			};
			break;
		case DW_TAG_subprogram:
		case DW_TAG_lexical_block:
		case DW_TAG_namespace:
		case DW_TAG_inlined_subroutine:
			collect_vars(s, m, &child, cu, cap, depth + 1);
			break;
		default:
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
}

/* The variable at module-relative address START (a symbol's), or NULL. */
static const struct var_ent *find_var(struct symbolizer *s, Dwfl_Module *mod,
				      Dwarf_Addr start)
{
	struct mod_cus *m = mod_cus_get(s, mod);
	size_t lo = 0, hi;

	if (!m->vars_done) {
		Dwarf_Die *cu = NULL;
		Dwarf_Addr bias;
		size_t cap = 0;
		m->vars_done = 1;
		while ((cu = dwfl_module_nextcu(mod, cu, &bias)))
			collect_vars(s, m, cu, cu, &cap, 0);
		if (m->nv)
			qsort(m->v, m->nv, sizeof(*m->v), cmp_var);
	}
	hi = m->nv;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->v[mid].addr <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || m->v[lo - 1].addr != start)
		return NULL;
	return &m->v[lo - 1];
}

struct mod_find {
	const char *name;
	Dwfl_Module *mod;
};

static int mod_name_cb(Dwfl_Module *mod, void **userdata, const char *name,
		       Dwarf_Addr start, void *arg)
{
	struct mod_find *f = arg;

	if (name && !strcmp(name, f->name)) {
		f->mod = mod;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

int sym_lookup_tls(struct symbolizer *s, const char *module, uint64_t below,
		   struct sym_data *out)
{
	struct mod_find f = {.name = module};
	GElf_Addr bias;
	GElf_Phdr ph = {0};
	Elf *elf;
	size_t n;
	uint64_t align, first, tlsoff, o;
	int nsym;

	memset(out, 0, sizeof(*out));
	if (!module)
		return 0;
	dwfl_getmodules(s->dwfl, mod_name_cb, &f, 0);
	if (!f.mod || !(elf = dwfl_module_getelf(f.mod, &bias)) ||
	    elf_getphdrnum(elf, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_TLS)
			break;
		else
			ph.p_type = PT_NULL;
	if (ph.p_type != PT_TLS || !ph.p_memsz)
		return 0;
	/* glibc's _dl_determine_tlsoffset for the first module (x86-64:
	 * the TLS blocks lie below the thread pointer) */
	align = ph.p_align ? ph.p_align : 1;
	first = -ph.p_vaddr & (align - 1);
	tlsoff = (ph.p_memsz - first + align - 1) / align * align + first;
	if (below > tlsoff || below + ph.p_memsz <= tlsoff)
		return 0;
	o = tlsoff - below;
	out->module = intern(s, module);
	nsym = dwfl_module_getsymtab(f.mod);
	for (int i = 1; i < nsym; i++) {
		GElf_Sym sym;
		GElf_Addr a;
		const char *name = dwfl_module_getsym_info(f.mod, i, &sym, &a,
							   NULL, NULL, NULL);
		const struct var_ent *v;
		if (!name || GELF_ST_TYPE(sym.st_info) != STT_TLS ||
		    o < sym.st_value ||
		    o - sym.st_value >= (sym.st_size ? sym.st_size : 1))
			continue;
		out->name = intern_func(s, name);
		out->local = GELF_ST_BIND(sym.st_info) == STB_LOCAL;
		out->off = o - sym.st_value;
		v = find_var(s, f.mod, VAR_TLS | sym.st_value);
		if (v) {
			if (v->name && strchr(name, '.'))
				out->name = v->name;
			out->file = v->file;
			out->line = v->line;
		}
		break;
	}
	return 1;
}

struct seg_find {
	taddr_t addr;
	Dwfl_Module *mod;
	GElf_Addr bias;
};

static int seg_cb(Dwfl_Module *mod, void **userdata, const char *name,
		  Dwarf_Addr start, void *arg)
{
	struct seg_find *f = arg;
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	size_t n;

	if (!elf || elf_getphdrnum(elf, &n) != 0)
		return DWARF_CB_OK;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (f->addr >= ph.p_vaddr + bias &&
		    f->addr - (ph.p_vaddr + bias) < ph.p_memsz) {
			f->mod = mod;
			f->bias = bias;
			return DWARF_CB_ABORT;
		}
	}
	return DWARF_CB_OK;
}

/* The module whose image holds ADDR: by its mappings, else the one whose
 * segments do (a .bss past the file's last page is an anonymous mapping
 * of its own, not part of the module as the maps report it). */
static Dwfl_Module *data_module(struct symbolizer *s, taddr_t addr,
				GElf_Addr *bias)
{
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, addr);
	struct seg_find f = {.addr = addr};

	if (mod && dwfl_module_getelf(mod, bias))
		return mod;
	dwfl_getmodules(s->dwfl, seg_cb, &f, 0);
	*bias = f.bias;
	return f.mod;
}

int sym_lookup_data(struct symbolizer *s, taddr_t addr, struct sym_data *out)
{
	GElf_Addr bias = 0;
	Dwfl_Module *mod = data_module(s, addr, &bias);
	Dwarf_Addr start = 0;
	const char *name;
	GElf_Off off;
	GElf_Sym sym;

	memset(out, 0, sizeof(*out));
	if (!mod)
		return 0;
	out->module = intern(s, dwfl_module_info(mod, NULL, &start, NULL, NULL,
						 NULL, NULL, NULL));
	out->module_base = start;
	name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (!name || GELF_ST_TYPE(sym.st_info) == STT_FUNC ||
	    (off >= sym.st_size && (sym.st_size || off)))
		return 1;
	out->name = intern_func(s, name);
	out->local = GELF_ST_BIND(sym.st_info) == STB_LOCAL;
	out->off = off;
	const struct var_ent *v = find_var(s, mod, addr - off - bias);
	if (v) {
		/* a static local is "cache.0" in the symbol table */
		if (v->name && strchr(name, '.'))
			out->name = v->name;
		out->file = v->file;
		out->line = v->line;
	}
	return 1;
}

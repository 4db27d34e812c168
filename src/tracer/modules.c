/*
 * modules: find the allocator entry points in the modules of a freshly
 * exec'd image and in every module the dynamic linker maps later.
 *
 * After exec only ld.so and the executable are mapped.  For a dynamic
 * executable we break on ld.so's _dl_debug_state, which it calls after
 * each batch of libraries is mapped (start-up and every dlopen) and
 * before their constructors run; there we walk r_debug's link_map list,
 * which is the symbol search order, and bind each entry point name to the
 * first module that defines it (the definition the linker binds).  A
 * static executable has everything in its own .symtab: bound at exec.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "leakcheck/options.h"
#include "leakcheck/util.h"

int bp_ensure_page(struct proc *p, pid_t tid, taddr_t hint);

/*
 * The entry points we break on: name, kind, flags.  First definer wins.
 * Each name is looked up as it is and, with HN_PREFIXED, with jemalloc's
 * prefixes too (a jemalloc built --with-jemalloc-prefix, such as Rust's
 * tikv-jemallocator's _rjem_, linked into a program beside glibc's
 * malloc).  A kind takes its arguments where the kind says (hooks.c):
 * mallocx(size, flags) is a malloc, sdallocx(ptr, size, flags) a free.
 */
enum hook_name_flags {
	HN_PREFIXED = 1 << 0,  /* also je_NAME and _rjem_NAME */
	HN_ALLOCATOR = 1 << 1, /* only in a module that defines malloc too
				* (jemalloc, tcmalloc: their operator new
				* does not call malloc); libstdc++'s, or
				* one linked into a program (gcc's cc1),
				* calls malloc, which records its blocks:
				* breaking on both would trap for nothing
				* and count each delete's free twice */
	HN_HEAP_ARG = 1 << 2,  /* mimalloc's mi_heap_*: a heap first, then
				* the kind's arguments */
};
static const struct hook_name {
	const char *name;
	enum hook_kind kind;
	unsigned flags;
} hook_names[] = {
    {"malloc", HOOK_MALLOC, HN_PREFIXED},
    {"calloc", HOOK_CALLOC, HN_PREFIXED},
    {"realloc", HOOK_REALLOC, HN_PREFIXED},
    {"reallocarray", HOOK_REALLOCARRAY, 0},
    {"free", HOOK_FREE, HN_PREFIXED},
    {"cfree", HOOK_FREE, 0},
    {"posix_memalign", HOOK_POSIX_MEMALIGN, HN_PREFIXED},
    {"aligned_alloc", HOOK_MEMALIGN, HN_PREFIXED},
    {"memalign", HOOK_MEMALIGN, HN_PREFIXED},
    {"valloc", HOOK_VALLOC, HN_PREFIXED},
    {"pvalloc", HOOK_PVALLOC, 0},
    /* jemalloc's own API */
    {"mallocx", HOOK_MALLOC, HN_PREFIXED},
    {"rallocx", HOOK_REALLOC, HN_PREFIXED},
    {"dallocx", HOOK_FREE, HN_PREFIXED},
    {"sdallocx", HOOK_FREE, HN_PREFIXED},
    {"xallocx", HOOK_XALLOCX, HN_PREFIXED},
    /* C++, where an allocator defines it (HN_ALLOCATOR) */
    {"_Znwm", HOOK_MALLOC, HN_ALLOCATOR},
    {"_Znam", HOOK_MALLOC, HN_ALLOCATOR},
    {"_ZnwmRKSt9nothrow_t", HOOK_MALLOC, HN_ALLOCATOR},
    {"_ZnamRKSt9nothrow_t", HOOK_MALLOC, HN_ALLOCATOR},
    {"_ZnwmSt11align_val_t", HOOK_MALLOC, HN_ALLOCATOR},
    {"_ZnamSt11align_val_t", HOOK_MALLOC, HN_ALLOCATOR},
    {"_ZnwmSt11align_val_tRKSt9nothrow_t", HOOK_MALLOC, HN_ALLOCATOR},
    {"_ZnamSt11align_val_tRKSt9nothrow_t", HOOK_MALLOC, HN_ALLOCATOR},
    {"_ZdlPv", HOOK_FREE, HN_ALLOCATOR},
    {"_ZdaPv", HOOK_FREE, HN_ALLOCATOR},
    {"_ZdlPvm", HOOK_FREE, HN_ALLOCATOR},
    {"_ZdaPvm", HOOK_FREE, HN_ALLOCATOR},
    {"_ZdlPvRKSt9nothrow_t", HOOK_FREE, HN_ALLOCATOR},
    {"_ZdaPvRKSt9nothrow_t", HOOK_FREE, HN_ALLOCATOR},
    {"_ZdlPvSt11align_val_t", HOOK_FREE, HN_ALLOCATOR},
    {"_ZdaPvSt11align_val_t", HOOK_FREE, HN_ALLOCATOR},
    {"_ZdlPvmSt11align_val_t", HOOK_FREE, HN_ALLOCATOR},
    {"_ZdaPvmSt11align_val_t", HOOK_FREE, HN_ALLOCATOR},
    /* tcmalloc (gperftools) */
    {"tc_malloc", HOOK_MALLOC, 0},
    {"tc_malloc_skip_new_handler", HOOK_MALLOC, 0},
    {"tc_calloc", HOOK_CALLOC, 0},
    {"tc_realloc", HOOK_REALLOC, 0},
    {"tc_free", HOOK_FREE, 0},
    {"tc_free_sized", HOOK_FREE, 0},
    {"tc_cfree", HOOK_FREE, 0},
    {"tc_memalign", HOOK_MEMALIGN, 0},
    {"tc_posix_memalign", HOOK_POSIX_MEMALIGN, 0},
    {"tc_valloc", HOOK_VALLOC, 0},
    {"tc_pvalloc", HOOK_PVALLOC, 0},
    {"tc_new", HOOK_MALLOC, 0},
    {"tc_newarray", HOOK_MALLOC, 0},
    {"tc_new_nothrow", HOOK_MALLOC, 0},
    {"tc_newarray_nothrow", HOOK_MALLOC, 0},
    {"tc_new_aligned", HOOK_MALLOC, 0},
    {"tc_newarray_aligned", HOOK_MALLOC, 0},
    {"tc_new_aligned_nothrow", HOOK_MALLOC, 0},
    {"tc_newarray_aligned_nothrow", HOOK_MALLOC, 0},
    {"tc_delete", HOOK_FREE, 0},
    {"tc_deletearray", HOOK_FREE, 0},
    {"tc_delete_sized", HOOK_FREE, 0},
    {"tc_deletearray_sized", HOOK_FREE, 0},
    {"tc_delete_nothrow", HOOK_FREE, 0},
    {"tc_deletearray_nothrow", HOOK_FREE, 0},
    {"tc_delete_aligned", HOOK_FREE, 0},
    {"tc_deletearray_aligned", HOOK_FREE, 0},
    {"tc_delete_sized_aligned", HOOK_FREE, 0},
    {"tc_deletearray_sized_aligned", HOOK_FREE, 0},
    {"tc_delete_aligned_nothrow", HOOK_FREE, 0},
    {"tc_deletearray_aligned_nothrow", HOOK_FREE, 0},
    /* mimalloc: the size first, as malloc's, whatever follows it */
    {"mi_malloc", HOOK_MALLOC, 0},
    {"mi_zalloc", HOOK_MALLOC, 0},
    {"mi_malloc_small", HOOK_MALLOC, 0},
    {"mi_zalloc_small", HOOK_MALLOC, 0},
    {"mi_malloc_aligned", HOOK_MALLOC, 0},
    {"mi_malloc_aligned_at", HOOK_MALLOC, 0},
    {"mi_zalloc_aligned", HOOK_MALLOC, 0},
    {"mi_zalloc_aligned_at", HOOK_MALLOC, 0},
    {"mi_new", HOOK_MALLOC, 0},
    {"mi_new_nothrow", HOOK_MALLOC, 0},
    {"mi_new_aligned", HOOK_MALLOC, 0},
    {"mi_new_aligned_nothrow", HOOK_MALLOC, 0},
    {"mi_calloc", HOOK_CALLOC, 0},
    {"mi_mallocn", HOOK_CALLOC, 0},
    {"mi_new_n", HOOK_CALLOC, 0},
    {"mi_calloc_aligned", HOOK_CALLOC, 0},
    {"mi_calloc_aligned_at", HOOK_CALLOC, 0},
    {"mi_realloc", HOOK_REALLOC, 0},
    {"mi_reallocf", HOOK_REALLOC, 0},
    {"mi_rezalloc", HOOK_REALLOC, 0},
    {"mi_new_realloc", HOOK_REALLOC, 0},
    {"mi_realloc_aligned", HOOK_REALLOC, 0},
    {"mi_realloc_aligned_at", HOOK_REALLOC, 0},
    {"mi_rezalloc_aligned", HOOK_REALLOC, 0},
    {"mi_rezalloc_aligned_at", HOOK_REALLOC, 0},
    {"mi_reallocn", HOOK_REALLOCARRAY, 0},
    {"mi_reallocarray", HOOK_REALLOCARRAY, 0},
    {"mi_recalloc", HOOK_REALLOCARRAY, 0},
    {"mi_new_reallocn", HOOK_REALLOCARRAY, 0},
    {"mi_free", HOOK_FREE, 0},
    {"mi_cfree", HOOK_FREE, 0},
    {"mi_free_size", HOOK_FREE, 0},
    {"mi_free_aligned", HOOK_FREE, 0},
    {"mi_free_size_aligned", HOOK_FREE, 0},
    {"mi_posix_memalign", HOOK_POSIX_MEMALIGN, 0},
    {"mi_memalign", HOOK_MEMALIGN, 0},
    {"mi_aligned_alloc", HOOK_MEMALIGN, 0},
    {"mi_valloc", HOOK_VALLOC, 0},
    {"mi_pvalloc", HOOK_PVALLOC, 0},
    /* mimalloc's heaps: the heap first, the rest as above */
    {"mi_heap_malloc", HOOK_MALLOC, HN_HEAP_ARG},
    {"mi_heap_zalloc", HOOK_MALLOC, HN_HEAP_ARG},
    {"mi_heap_malloc_small", HOOK_MALLOC, HN_HEAP_ARG},
    {"mi_heap_zalloc_small", HOOK_MALLOC, HN_HEAP_ARG},
    {"mi_heap_malloc_aligned", HOOK_MALLOC, HN_HEAP_ARG},
    {"mi_heap_malloc_aligned_at", HOOK_MALLOC, HN_HEAP_ARG},
    {"mi_heap_zalloc_aligned", HOOK_MALLOC, HN_HEAP_ARG},
    {"mi_heap_zalloc_aligned_at", HOOK_MALLOC, HN_HEAP_ARG},
    {"mi_heap_calloc", HOOK_CALLOC, HN_HEAP_ARG},
    {"mi_heap_mallocn", HOOK_CALLOC, HN_HEAP_ARG},
    {"mi_heap_calloc_aligned", HOOK_CALLOC, HN_HEAP_ARG},
    {"mi_heap_calloc_aligned_at", HOOK_CALLOC, HN_HEAP_ARG},
    {"mi_heap_realloc", HOOK_REALLOC, HN_HEAP_ARG},
    {"mi_heap_reallocf", HOOK_REALLOC, HN_HEAP_ARG},
    {"mi_heap_rezalloc", HOOK_REALLOC, HN_HEAP_ARG},
    {"mi_heap_realloc_aligned", HOOK_REALLOC, HN_HEAP_ARG},
    {"mi_heap_realloc_aligned_at", HOOK_REALLOC, HN_HEAP_ARG},
    {"mi_heap_rezalloc_aligned", HOOK_REALLOC, HN_HEAP_ARG},
    {"mi_heap_rezalloc_aligned_at", HOOK_REALLOC, HN_HEAP_ARG},
    {"mi_heap_reallocn", HOOK_REALLOCARRAY, HN_HEAP_ARG},
    {"mi_heap_recalloc", HOOK_REALLOCARRAY, HN_HEAP_ARG},
    {"mi_heap_destroy", HOOK_HEAP_DESTROY, 0},
    {"mi_heap_delete", HOOK_HEAP_DELETE, 0},
    /* where the dead stack is cleared, and where freeres runs
     * (exitpath.c): after the executable's constructors (glibc 2.34+
     * calls this between them and main), at exit, at _exit */
    {"_dl_audit_preinit", HOOK_CLEAR_DEAD, 0},
    {"exit", HOOK_CLEAR_DEAD, 0},
    {"_exit", HOOK_EXIT_FINAL, 0},
};

/* The prefixes an HN_PREFIXED name is also looked up with; "" first. */
static const char *const hook_prefixes[] = {"", "je_", "_rjem_"};
#define NPREFIXES ARRAY_SIZE(hook_prefixes)
_Static_assert(ARRAY_SIZE(hook_names) * NPREFIXES <= HOOK_SLOTS,
	       "proc.bound has a bit for each name and prefix");

/* "PREFIX NAME" strings for breakpoint names, made once. */
static const char *hook_slot_name(size_t i, size_t k)
{
	static char *names[ARRAY_SIZE(hook_names)][NPREFIXES];

	if (!k)
		return hook_names[i].name;
	if (!names[i][k])
		names[i][k] =
		    xasprintf("%s%s", hook_prefixes[k], hook_names[i].name);
	return names[i][k];
}

/* Functions we call in the program rather than break on (exitpath.c):
 * name, index in proc.freeres_fn.  First definer wins. */
static const struct call_name {
	const char *name;
	int idx;
} call_names[] = {
    {"_ZN9__gnu_cxx9__freeresEv", FREERES_CXX},
    {"__libc_freeres", FREERES_LIBC},
};

static void elf_init_once(void)
{
	static int done;
	if (!done) {
		elf_version(EV_CURRENT);
		done = 1;
	}
}

/* Calls CB for every defined function symbol of PATH; returns 0 or -errno.
 * Also reports e_entry through *ENTRY if non-NULL. */
typedef void (*sym_cb)(void *ctx, const char *name, taddr_t value);
static int elf_for_each_func(const char *path, sym_cb cb, void *ctx,
			     taddr_t *entry)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *e;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;

	if (fd < 0)
		return -errno;
	elf_init_once();
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || !gelf_getehdr(e, &eh)) {
		if (e)
			elf_end(e);
		close(fd);
		return -ENOEXEC;
	}
	if (entry)
		*entry = eh.e_entry;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !sh.sh_entsize)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *name;
			int type;
			if (!gelf_getsym(data, (int)i, &s))
				continue;
			type = GELF_ST_TYPE(s.st_info);
			if (s.st_shndx == SHN_UNDEF || !s.st_value ||
			    (type != STT_FUNC && type != STT_GNU_IFUNC &&
			     type != STT_OBJECT))
				continue;
			name = elf_strptr(e, sh.sh_link, s.st_name);
			if (name && *name)
				cb(ctx, name, s.st_value);
		}
	}
	elf_end(e);
	close(fd);
	return 0;
}

struct bind_ctx {
	struct proc *p;
	taddr_t bias;
	const char *path;
	/* found in this module: address per hook_names index */
	taddr_t found[ARRAY_SIZE(hook_names)][NPREFIXES];
	taddr_t calls[FREERES_N];
	taddr_t dl_debug_state, r_debug;
	taddr_t decl[32]; /* --malloc-like and co: by opt.decl index */
	_Static_assert(ARRAY_SIZE(opt.decl) == 32, "decl_bound's bits");
};

static void bind_cb(void *vctx, const char *name, taddr_t value)
{
	struct bind_ctx *c = vctx;
	/* versioned names in .symtab look like "malloc@@GLIBC_2.2.5" */
	size_t len = strcspn(name, "@");

	if (!strncmp(name, "_dl_debug_state", len) && len == 15)
		c->dl_debug_state = c->bias + value;
	else if (!strncmp(name, "_r_debug", len) && len == 8)
		c->r_debug = c->bias + value;
	for (size_t k = 0; k < NPREFIXES; k++) {
		size_t pl = strlen(hook_prefixes[k]);
		if (len <= pl || strncmp(name, hook_prefixes[k], pl))
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(hook_names); i++) {
			if ((k && !(hook_names[i].flags & HN_PREFIXED)) ||
			    strlen(hook_names[i].name) != len - pl ||
			    strncmp(name + pl, hook_names[i].name, len - pl))
				continue;
			c->found[i][k] = c->bias + value;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(call_names); i++) {
		if (strlen(call_names[i].name) == len &&
		    !strncmp(name, call_names[i].name, len))
			c->calls[call_names[i].idx] = c->bias + value;
	}
	for (unsigned i = 0; i < opt.ndecl; i++)
		if (strlen(opt.decl[i].name) == len &&
		    !strncmp(name, opt.decl[i].name, len))
			c->decl[i] = c->bias + value;
}

/*
 * valgrind.h's client requests in module PATH (loaded at BIAS): each is
 * the preamble below followed by xchgq %rbx,%rbx, which gets a breakpoint
 * (alloc/clientreq.c acts on it).  Found in the executable segments of
 * the file, so a stripped module's are found too.
 */
static void client_requests_module(struct proc *p, const char *path,
				   taddr_t bias)
{
	static const uint8_t seq[] = {
	    0x48, 0xc1, 0xc7, 0x03, 0x48, 0xc1, 0xc7, 0x0d, /* rolq $3, $13 */
	    0x48, 0xc1, 0xc7, 0x3d, 0x48, 0xc1, 0xc7, 0x33, /* rolq $61, $51 */
	    0x48, 0x87, 0xdb}; /* xchgq %rbx,%rbx */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t nph = 0, flen = 0, found = 0;
	const uint8_t *file;
	Elf *e;

	if (fd < 0)
		return;
	elf_init_once();
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	file = e ? (const uint8_t *)elf_rawfile(e, &flen) : NULL;
	if (file && !elf_getphdrnum(e, &nph)) {
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;
			const uint8_t *at, *end;
			if (!gelf_getphdr(e, (int)i, &ph) ||
			    ph.p_type != PT_LOAD || !(ph.p_flags & PF_X) ||
			    ph.p_offset > flen ||
			    ph.p_filesz > flen - ph.p_offset)
				continue;
			at = file + ph.p_offset;
			end = at + ph.p_filesz;
			while ((at = memmem(at, (size_t)(end - at), seq,
					    sizeof(seq)))) {
				taddr_t xchg =
				    bias + ph.p_vaddr +
				    (taddr_t)(at - file - ph.p_offset) + 16;
				int ret =
				    bp_insert(p, xchg, HOOK_CLIENT_REQUEST,
					      "valgrind client request");
				if (ret)
					warning(
					    "cannot break on a valgrind client "
					    "request in '%s' at %#llx: %s",
					    path, (unsigned long long)xchg,
					    strerror(-ret));
				else
					found++;
				at += sizeof(seq);
			}
		}
	}
	if (found)
		debug("pid %d: %zu valgrind client requests in %s", p->pid,
		      found, path);
	if (e)
		elf_end(e);
	close(fd);
}

/* Bind every entry point not bound yet that module PATH defines. */
static void bind_module(struct proc *p, const char *path, taddr_t bias)
{
	struct bind_ctx c;
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.bias = bias;
	c.path = path;
	if (elf_for_each_func(path, bind_cb, &c, NULL))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(hook_names); i++)
		for (size_t k = 0; k < NPREFIXES; k++) {
			size_t slot = i * NPREFIXES + k;
			const char *name = hook_slot_name(i, k);
			int ret = 0;
			if (!c.found[i][k] ||
			    (p->bound[slot / 64] >> (slot % 64)) & 1)
				continue;
			p->bound[slot / 64] |= 1ull << (slot % 64);
			/* the definer the linker binds is this one: if it is
			 * not an allocator's, malloc records its blocks */
			if ((hook_names[i].flags & HN_ALLOCATOR) &&
			    !c.found[0][0])
				continue;
			ret = bp_insert_heap_arg(
			    p, c.found[i][k], hook_names[i].kind, name,
			    hook_names[i].flags & HN_HEAP_ARG);
			if (ret)
				warning("cannot break on %s in '%s': %s", name,
					path, strerror(-ret));
			else
				debug("pid %d: %s bound in %s", p->pid, name,
				      path);
		}
	for (int i = 0; i < FREERES_N; i++)
		if (c.calls[i] && !p->freeres_fn[i])
			p->freeres_fn[i] = c.calls[i];
	/* the program's own allocator, as the user declared it: the first
	 * definer in the search order, as the linker binds it */
	for (unsigned i = 0; i < opt.ndecl; i++) {
		int ret;
		if (!c.decl[i] || (p->decl_bound >> i) & 1)
			continue;
		p->decl_bound |= 1u << i;
		ret = bp_insert(p, c.decl[i], HOOK_DECLARED, opt.decl[i].name);
		if (ret) {
			warning("cannot break on %s in '%s': %s",
				opt.decl[i].name, path, strerror(-ret));
			continue;
		}
		bp_find(p, c.decl[i])->decl = (uint8_t)i;
		debug("pid %d: %s (declared) bound in %s", p->pid,
		      opt.decl[i].name, path);
	}
	client_requests_module(p, path, bias);
}

static int read_auxv(pid_t pid, taddr_t *base, taddr_t *entry)
{
	char path[64];
	Elf64_auxv_t av;
	int fd;
	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*base = *entry = 0;
	while (read(fd, &av, sizeof(av)) == (ssize_t)sizeof(av) &&
	       av.a_type != AT_NULL) {
		if (av.a_type == AT_BASE)
			*base = av.a_un.a_val;
		else if (av.a_type == AT_ENTRY)
			*entry = av.a_un.a_val;
	}
	close(fd);
	return 0;
}

/* Path of the file mapped at ADDR in P's maps, malloc'd, or NULL. */
static char *mapped_path_at(struct proc *p, taddr_t addr, taddr_t *lowest)
{
	char path[64], *text, *line, *res = NULL;
	snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
	text = read_file_text(path, NULL);
	if (!text)
		return NULL;
	for (line = text; *line;) {
		char *nl = strchr(line, '\n');
		unsigned long long s, e;
		int off = 0;
		if (nl)
			*nl = 0;
		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %n", &s, &e,
			   &off) >= 2 &&
		    off > 0 && addr >= s && addr < e && line[off] == '/') {
			res = xstrdup(line + off);
			break;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	/* lowest mapping of that file */
	if (res && lowest) {
		*lowest = (taddr_t)-1;
		free(text);
		text = read_file_text(path, NULL);
		for (line = text; text && *line;) {
			char *nl = strchr(line, '\n');
			unsigned long long s, e;
			int off = 0;
			if (nl)
				*nl = 0;
			if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %n", &s, &e,
				   &off) >= 2 &&
			    off > 0 && !strcmp(line + off, res) && s < *lowest)
				*lowest = s;
			if (!nl)
				break;
			line = nl + 1;
		}
	}
	free(text);
	return res;
}

static void capture_maps(struct proc *p)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
	free(p->maps_text);
	p->maps_text = read_file_text(path, NULL);
}

void proc_forget_image(struct proc *p)
{
	guard_done(p); /* its address space is gone */
	fast_forget(p);
	p->fast_owner = 0;
	p->handler_installed = 0;
	p->nret_slots = 0;
	p->data = 0;
	p->nstubs = 0;
	p->nstub_free = 0;
	p->nbusy = 0;
	for (struct thread *t = threads_of(p, NULL); t; t = threads_of(p, t)) {
		t->stub = -1;
		t->stub_busy = 0;
	}
	if (p->memfd >= 0)
		close(p->memfd);
	p->memfd = -1;
	p->nbps = 0;
	p->page = 0;
	p->nslots = 0;
	p->r_debug = 0;
	p->ldso_base = 0;
	memset(p->bound, 0, sizeof(p->bound));
	p->decl_bound = 0;
	memset(p->freeres_fn, 0, sizeof(p->freeres_fn));
	p->freeres_state = 0;
	free(p->seen_modules);
	p->seen_modules = NULL;
	heap_table_release(&p->heap);
	heap_table_init(&p->heap);
	heap_table_release(&p->custom_heap);
	heap_table_init(&p->custom_heap);
	heap_table_release(&p->mi_owner);
	heap_table_init(&p->mi_owner);
	for (size_t i = 0; i < p->npools; i++)
		free(p->pools[i].chunks);
	p->npools = 0;
	if (p->unw)
		unwind_free(p->unw);
	p->unw = unwind_new(p->pid);
	for (struct thread *t = threads_of(p, NULL); t; t = threads_of(p, t)) {
		t->npend = 0;
		t->in_alloc = 0;
		t->have_held_regs = 0;
	}
}

static int modules_setup(struct proc *p, pid_t tid);

int modules_start(struct proc *p, pid_t tid)
{
	int ret;

	proc_forget_image(p);
	if (p->flags & PROC_ATTACHED)
		if (guard_start(p) > 0) /* an attached program exec'd */
			bp_guard_all(p);
	if ((ret = inject_settle(p, tid)))
		return ret;
	return modules_setup(p, tid);
}

/* Break on ld.so's _dl_debug_state (dynamic) or bind the executable's
 * entry points (static), with TID stopped where a syscall can be run. */
static int modules_setup(struct proc *p, pid_t tid)
{
	taddr_t base = 0, entry = 0, exe_entry = 0, lowest = 0;
	char exe[PATH_MAX];
	long n;
	int ret;

	if ((ret = read_auxv(p->pid, &base, &entry)))
		return ret;
	if ((n = proc_exe(p->pid, exe, sizeof(exe))) < 0)
		return (int)n;
	/* Go's stacks are unwound through live memory (its stack switches):
	 * no records to unwind later */
	p->no_fast = fast_is_go(exe);

	if (base) {
		/* dynamic: break in ld.so, bind at each module change */
		char *ldso = mapped_path_at(p, base, NULL);
		struct bind_ctx c;
		if (!ldso)
			return -ENOENT;
		memset(&c, 0, sizeof(c));
		c.bias = base;
		ret = elf_for_each_func(ldso, bind_cb, &c, NULL);
		free(ldso);
		if (ret)
			return ret;
		if (!c.dl_debug_state || !c.r_debug)
			return -ENOSYS;
		if ((ret = bp_ensure_page(p, tid, 0))) {
			debug("pid %d: cannot map the out-of-line page: %s",
			      p->pid, strerror(-ret));
			return ret;
		}
		p->ldso_base = base;
		p->r_debug = c.r_debug;
		ret = bp_insert(p, c.dl_debug_state, HOOK_DL_DEBUG,
				"_dl_debug_state");
		if (ret)
			return ret;
	} else {
		/* static: the executable has it all */
		char *path;
		taddr_t bias;
		if (elf_for_each_func(exe, bind_cb, &(struct bind_ctx){0},
				      &exe_entry))
			return -ENOEXEC;
		bias = entry - exe_entry;
		path = mapped_path_at(p, entry, &lowest);
		free(path);
		/* rip-relative operands need the page within 2 GiB */
		if ((ret = bp_ensure_page(
			 p, tid,
			 lowest > (1u << 24) ? lowest - (1u << 22) : 0)))
			return ret;
		bind_module(p, exe, bias);
	}
	capture_maps(p);
	return 0;
}

static int seen(struct proc *p, const char *path)
{
	size_t len = strlen(path);
	const char *s = p->seen_modules;
	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t l = nl ? (size_t)(nl - s) : strlen(s);
		if (l == len && !memcmp(s, path, len))
			return 1;
		s = nl ? nl + 1 : s + l;
	}
	return 0;
}

static void mark_seen(struct proc *p, const char *path)
{
	char *n =
	    xasprintf("%s%s\n", p->seen_modules ? p->seen_modules : "", path);
	free(p->seen_modules);
	p->seen_modules = n;
}

int modules_update(struct proc *p, pid_t tid)
{
	struct {
		int32_t version;
		int32_t pad;
		uint64_t map;
		uint64_t brk;
		int32_t state;
	} rd;
	taddr_t lm;
	int guard = 0;

	if (mem_read(p->pid, p->r_debug, &rd, sizeof(rd)) != (long)sizeof(rd))
		return -EFAULT;
	if (rd.state != 0 /* RT_CONSISTENT */)
		return 0;
	for (lm = rd.map; lm && guard < 10000; guard++) {
		struct {
			uint64_t addr, name, ld, next, prev;
		} l;
		char name[PATH_MAX];
		long n;
		if (mem_read(p->pid, lm, &l, sizeof(l)) != (long)sizeof(l))
			break;
		n = l.name ? mem_read(p->pid, l.name, name, sizeof(name) - 1)
			   : 0;
		if (n < 0)
			n = 0;
		name[n] = 0;
		name[strnlen(name, (size_t)n)] = 0;
		if (!name[0])
			proc_exe(p->pid, name, sizeof(name));
		if (name[0] == '/' && !seen(p, name)) {
			mark_seen(p, name);
			bind_module(p, name, l.addr);
		}
		lm = l.next;
	}
	if (p->unw)
		unwind_flush(p->unw);
	fast_tables(p);
	capture_maps(p);
	(void)tid;
	return 0;
}

int modules_attach(struct proc *p, pid_t tid)
{
	int ret = modules_setup(p, tid);
	/* bind what is loaded now; a dlopen in progress binds at its end */
	if (!ret && p->r_debug)
		ret = modules_update(p, tid);
	return ret;
}

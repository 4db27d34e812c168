/*
 * unwind_libunwind: the unwinder backend on libunwind-ptrace.
 *
 * libunwind walks the stack with DWARF CFI; we give it our own accessors
 * (unw_accessors_t) so that it touches the tracee as little as possible:
 *
 *   - access_mem serves reads from a snapshot of the stack top taken with
 *     one process_vm_readv at the start of each unwind_stack ([rsp, rsp +
 *     16 KiB), clipped at the first unreadable page).  A read just above
 *     it (a deep stack) grows the snapshot, at least doubling it, up to
 *     256 KiB.  Anything else (the tracee's .eh_frame_hdr and .eh_frame,
 *     which libunwind reads through access_mem when it parses CFI; code
 *     it inspects when CFI is missing) goes through a small direct-mapped
 *     cache of whole pages read with process_vm_readv.  A cached page is
 *     valid for one unwind only, except pages of read-only file mappings
 *     (.eh_frame, code), which stay until unwind_flush.  (The tracer's
 *     breakpoints in code may thus be seen or not; libunwind reads code
 *     only to recognize PLT entries and signal trampolines.)
 *     unwind_stack_saved uses the caller's copy of the stack top (taken
 *     earlier, perf --call-graph=dwarf style) as the snapshot, in place:
 *     it never grows, and a read elsewhere in [rsp, end of that stack)
 *     fails rather than reading the live stack, which has changed since.
 *   - access_reg serves the registers of the initial frame from the
 *     user_regs_struct the caller read; libunwind keeps track of the
 *     rest itself.
 *   - find_proc_info delegates to libunwind-ptrace's _UPT_find_proc_info.
 *     A _UPT context keeps the unwind table of ONE ELF file, and re-reads
 *     /proc/PID/maps and re-opens and maps a file whenever it is asked
 *     about an address outside that file (and, having dropped its table,
 *     for an address in no file at all).  So we keep one _UPT context per
 *     module (file path), chosen from our own parse of the maps, and a
 *     small negative cache of IPs without CFI.  Each module's maps read
 *     and ELF mapping then happens once per unwind_flush.
 *   - libunwind's own cache of register-state records (UNW_CACHE_GLOBAL,
 *     keyed by IP, enlarged to UNWIND_RS_CACHE entries) avoids calling
 *     find_proc_info at all for known IPs.  Its lock costs two
 *     sigprocmask syscalls per frame, which we turn off (see below).
 *
 * A cached unwind thus costs one process_vm_readv and no other syscall.
 *
 * Go's stack switches.  A cgo call runs C code on the thread's system
 * stack (g0), not on the goroutine's: runtime.asmcgocall saves the
 * goroutine's sp, moves sp to g0's stack and calls the C function; so does
 * runtime.systemstack for runtime work.  Neither has CFI (Go writes only
 * .debug_frame, and nothing could describe a CFA on another stack), so
 * libunwind stops there.  But neither touches rbp, and Go keeps frame
 * pointers: at such a frame the rbp recovered through the C frames is
 * still the frame pointer of the Go function that called it, on the
 * goroutine's stack.  So at a frame whose IP is in one of these functions
 * (found by name in the module's .symtab, once per module) we take one
 * frame-pointer step to that stack with no "stays on this stack" check --
 * the return address must lie in an executable file mapping instead --
 * take a new snapshot there, and go on as usual.  That frame record is
 * the one of the Go function that called the switch function
 * (runtime.cgocall for a cgo call) and holds that function's own return
 * address, so the function itself is skipped: the return address into it
 * lies at an sp we do not know.  A cgo stack reads: C frames,
 * runtime.asmcgocall, pkg._Cfunc_f, then its Go callers.  (The same idea
 * as opentelemetry-ebpf-profiler's unwinding at asmcgocall, its PR 1516.)
 * XXX: checked with Go 1.19 (Debian 12) only.
 *
 * Invariants: unwind_cur is set for the whole of one unwind_run call and
 * only then; libunwind calls access_mem with either our struct or a _UPT
 * context as ARG (the latter from inside _UPT_find_proc_info), so the
 * accessors find their unwinder through unwind_cur, not through ARG.
 * Nothing here writes to the tracee.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <libunwind.h>
#include <libunwind-ptrace.h>

#include "leakcheck/cfitab.h"
#include "leakcheck/unwind.h"
#include "leakcheck/util.h"

#ifndef LEAKCHECK_UNWIND_CACHE
#define LEAKCHECK_UNWIND_CACHE UNW_CACHE_GLOBAL
#endif

enum {
	UNWIND_SNAP_SIZE = 16384, /* stack bytes read per unwind */
	UNWIND_SNAP_MAX = 262144, /* ... grown on demand up to this */
	UNWIND_PAGE = 4096,
	UNWIND_NPAGES = 32,	 /* page cache slots (direct-mapped) */
	UNWIND_NNEG = 64,	 /* negative IP cache slots */
	UNWIND_RS_CACHE = 1024,	 /* libunwind rs cache entries (~300 B each) */
	UNWIND_MAPS_EVERY = 256, /* unwinds between maps reads, unknown IPs */
};

/* A mapping from /proc/PID/maps, as far as we care. */
struct unwind_map {
	taddr_t start, end;
	taddr_t offset; /* file offset of start */
	int mod; /* index into mods for executable file mappings, or -1 */
	bool ro; /* file-backed and not writable */
};

/* Go runtime functions that call on another stack, rbp unchanged. */
static const char *const stack_switch_names[] = {
    "runtime.asmcgocall.abi0",
    "runtime.asmcgocall",
    "runtime.systemstack.abi0",
    "runtime.systemstack",
};
enum { UNWIND_NSWITCH = 4 };

/* One ELF file with a _UPT context that holds its unwind table. */
struct unwind_mod {
	char *path;
	void *upt;	   /* _UPT_create()d on first use, or NULL */
	bool switch_known; /* the file's stack-switch functions looked up */
	int nswitch;	   /* how many it has (0: not a Go program) */
	struct {
		taddr_t lo, hi; /* file offsets of the function's code */
	} sw[UNWIND_NSWITCH];
};

struct unwind_page {
	taddr_t addr; /* page address; 0: empty */
	uint64_t gen; /* valid if gen == unwinder gen, or 0: until flush */
	unsigned char data[UNWIND_PAGE];
};

struct unwinder {
	pid_t pid;
	unw_addr_space_t as;
	void *upt; /* context for the calls not tied to a module */

	/* Our view of /proc/PID/maps, sorted; valid if maps_valid. */
	struct unwind_map *maps;
	size_t nmaps, cap_maps;
	struct unwind_mod *mods;
	size_t nmods, cap_mods;
	bool maps_valid;
	uint64_t maps_read_at; /* stats.unwinds at the last maps read */

	/* Per unwind_stack call. */
	pid_t tid;
	const struct user_regs_struct *regs; /* the first frame's */
	struct user_regs_struct fp_regs;     /* after a frame-pointer step */
	bool step_noinfo; /* this unw_step met an IP without CFI */
	uint64_t gen;	  /* incremented per unwind; never 0 */
	taddr_t snap_base;
	size_t snap_len;
	bool snap_full; /* the last read got all it asked for: may grow */
	const unsigned char *snap; /* snap_buf, or the caller's copy */
	unsigned char *snap_buf;   /* UNWIND_SNAP_MAX bytes */
	/*
	 * unwind_stack_saved: the caller's copy of [saved_lo, saved_lo +
	 * saved_len) and the end of that stack; saved_hi is 0 otherwise.
	 * Nothing in [saved_lo, saved_hi) is read from the tracee.
	 */
	const unsigned char *saved;
	size_t saved_len;
	taddr_t saved_lo, saved_hi;
	bool ran_out; /* the last unwind wanted more than the copy */

	struct unwind_page *pages; /* UNWIND_NPAGES */
	taddr_t neg_ip[UNWIND_NNEG];

	struct unwind_stats stats;
	/* LEAKCHECK_TEST_CFIWALK: compare each unwind with cfiwalk's */
	bool cfi_check;
	struct cfitab_proc *cfi;
	int guessed; /* the first frame libunwind stepped from without CFI
		      * (unw_step failed or found none), or -1 */
	/* Diagnostics, printed by unwind_free at log level 2. */
	uint64_t n_upt;	       /* _UPT contexts created */
	uint64_t n_maps_reads; /* our own /proc/PID/maps reads */
	uint64_t n_fp_frames;  /* frames found by our frame-pointer fallback */
	uint64_t n_switches;   /* Go stack switches crossed */
};

static __thread struct unwinder *unwind_cur;

/* the counters of the unwinders freed so far (--stats) */
static struct unwind_stats freed_stats;

/*
 * XXX: libunwind 1.6.2 (as Debian builds it, with CONFIG_BLOCK_SIGNALS)
 * brackets every use of its register-state cache, and of its allocator,
 * with sigprocmask(SIG_SETMASK, all signals) ... sigprocmask(SIG_SETMASK,
 * saved): two syscalls per frame, ~2.8 us on these VMs, several times
 * the rest of a cached step.  UNW_CACHE_PER_THREAD, which would skip the
 * lock, is silently turned into UNW_CACHE_GLOBAL by that build
 * (unw_set_caching_policy), and UNW_CACHE_NONE is slower still.  The mask
 * only keeps a signal handler that unwinds in the same thread from
 * deadlocking on the cache mutex, and leakcheck never unwinds from a
 * signal handler.  So this file defines sigprocmask, which the dynamic
 * linker binds libunwind's calls to (the executable comes first in the
 * lookup scope): a no-op while this thread is inside libunwind for
 * unwind_stack, glibc's pthread_sigmask (which is what its sigprocmask
 * is) at all other times and in all other threads.  The mutex itself is
 * still taken.  Define LEAKCHECK_UNWIND_KEEP_SIGMASK to measure without.
 */
static __thread bool unwind_nomask;

#ifndef LEAKCHECK_UNWIND_KEEP_SIGMASK
int sigprocmask(int how, const sigset_t *set, sigset_t *oset)
{
	int err;

	if (unwind_nomask) {
		/* Both halves of each pair land here: nothing to restore. */
		if (oset)
			sigemptyset(oset);
		return 0;
	}
	err = pthread_sigmask(how, set, oset);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
#endif

/* Reads LEN bytes at ADDR from TID into BUF; returns the bytes read. */
static size_t vm_read(struct unwinder *u, taddr_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len};
	struct iovec remote[UNWIND_SNAP_MAX / UNWIND_PAGE + 1];
	unsigned int n = 0;
	taddr_t a = addr, end = addr + len;
	ssize_t r;

	/*
	 * One remote iovec per page, so a read that runs into an unmapped
	 * page returns the readable prefix rather than failing whole.
	 */
	while (a < end && n < ARRAY_SIZE(remote)) {
		taddr_t next = (a & ~(taddr_t)(UNWIND_PAGE - 1)) + UNWIND_PAGE;
		if (next > end || next < a)
			next = end;
		remote[n].iov_base = (void *)(uintptr_t)a;
		remote[n].iov_len = next - a;
		n++;
		a = next;
	}
	u->stats.vm_reads++;
	r = process_vm_readv(u->tid, &local, 1, remote, n, 0);
	return r < 0 ? 0 : (size_t)r;
}

/* ---- our view of the maps ---- */

/* Forgets the maps and the modules with their unwind tables. */
static void maps_clear(struct unwinder *u)
{
	for (size_t i = 0; i < u->nmods; i++) {
		if (u->mods[i].upt)
			_UPT_destroy(u->mods[i].upt);
		free(u->mods[i].path);
	}
	u->nmods = 0;
	u->nmaps = 0;
	u->maps_valid = false;
}

static int mod_get(struct unwinder *u, const char *path)
{
	for (size_t i = 0; i < u->nmods; i++)
		if (!strcmp(u->mods[i].path, path))
			return (int)i;
	u->mods = xgrow(u->mods, &u->cap_mods, u->nmods + 1, sizeof(*u->mods));
	u->mods[u->nmods].path = xstrdup(path);
	u->mods[u->nmods].upt = NULL;
	u->mods[u->nmods].switch_known = false;
	u->mods[u->nmods].nswitch = 0;
	return (int)u->nmods++;
}

/*
 * (Re-)reads /proc/PID/maps.  Modules already known keep their _UPT
 * context.  On failure the view is empty.
 */
static void maps_read(struct unwinder *u)
{
	char name[64], line[4096 + 128];
	FILE *f;

	u->nmaps = 0;
	u->maps_valid = true;
	u->maps_read_at = u->stats.unwinds;
	memset(u->neg_ip, 0, sizeof(u->neg_ip));
	u->n_maps_reads++;
	snprintf(name, sizeof(name), "/proc/%d/maps", (int)u->pid);
	f = fopen(name, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off, ino;
		char perms[8];
		int pos = 0;
		struct unwind_map *m;
		char *path, *nl;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %llu %n", &start, &end,
			   perms, &off, &ino, &pos) < 5 ||
		    !pos)
			continue;
		path = line + pos;
		nl = strchr(path, '\n');
		if (nl)
			*nl = 0;
		u->maps = xgrow(u->maps, &u->cap_maps, u->nmaps + 1,
				sizeof(*u->maps));
		m = &u->maps[u->nmaps++];
		m->start = start;
		m->end = end;
		m->offset = off;
		m->mod = -1;
		m->ro = ino && perms[1] != 'w';
		if (perms[2] == 'x' && path[0] == '/')
			m->mod = mod_get(u, path);
	}
	fclose(f);
}

static const struct unwind_map *map_find(struct unwinder *u, taddr_t addr)
{
	size_t lo = 0, hi;

	if (!u->maps_valid)
		maps_read(u);
	hi = u->nmaps;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < u->maps[mid].start)
			hi = mid;
		else if (addr >= u->maps[mid].end)
			lo = mid + 1;
		else
			return &u->maps[mid];
	}
	return NULL;
}

/* ---- memory ---- */

static int read_slow(struct unwinder *u, taddr_t addr, unw_word_t *val)
{
	taddr_t page = addr & ~(taddr_t)(UNWIND_PAGE - 1);
	size_t off = addr - page;
	struct unwind_page *p;
	const struct unwind_map *m;

	if (off > UNWIND_PAGE - sizeof(*val)) {
		/* Straddles two pages: rare, read it directly. */
		return vm_read(u, addr, val, sizeof(*val)) == sizeof(*val)
			   ? 0
			   : -UNW_EINVAL;
	}
	p = &u->pages[(page / UNWIND_PAGE) % UNWIND_NPAGES];
	u->stats.page_lookups++;
	if (p->addr == page && (p->gen == u->gen || p->gen == 0)) {
		u->stats.page_hits++;
		memcpy(val, p->data + off, sizeof(*val));
		return 0;
	}
	if (vm_read(u, page, p->data, UNWIND_PAGE) != UNWIND_PAGE) {
		p->addr = 0;
		return vm_read(u, addr, val, sizeof(*val)) == sizeof(*val)
			   ? 0
			   : -UNW_EINVAL;
	}
	p->addr = page;
	m = map_find(u, page);
	p->gen = m && m->ro && page + UNWIND_PAGE <= m->end ? 0 : u->gen;
	memcpy(val, p->data + off, sizeof(*val));
	return 0;
}

/*
 * A deep stack: if ADDR lies not far above the snapshot, extend the
 * snapshot over it and a page more with one read, to at least 4 times its
 * size (one syscall costs about as much as copying 32 KiB more), so that
 * the frames further up cost little.  Returns whether ADDR is now in it.
 */
static bool snap_grow(struct unwinder *u, taddr_t addr)
{
	taddr_t end = u->snap_base + u->snap_len;
	size_t want, got;

	/* (A saved copy never has snap_full: it never grows.) */
	if (!u->snap_full || addr < end ||
	    addr - u->snap_base + sizeof(taddr_t) > UNWIND_SNAP_MAX)
		return false;
	want = (addr - u->snap_base + sizeof(taddr_t) + 2 * UNWIND_PAGE - 1) &
	       ~(size_t)(UNWIND_PAGE - 1);
	if (want < 4 * u->snap_len)
		want = 4 * u->snap_len;
	if (want > UNWIND_SNAP_MAX)
		want = UNWIND_SNAP_MAX;
	/* A live snapshot below a saved stack stops short of it. */
	if (u->saved_hi && u->snap_base < u->saved_lo &&
	    want > u->saved_lo - u->snap_base)
		want = u->saved_lo - u->snap_base;
	if (want <= u->snap_len)
		return false;
	got = vm_read(u, end, u->snap_buf + u->snap_len, want - u->snap_len);
	u->snap_full = got == want - u->snap_len;
	u->snap_len += got;
	return addr - u->snap_base + sizeof(taddr_t) <= u->snap_len;
}

static int acc_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val,
		   int write, void *arg)
{
	struct unwinder *u = unwind_cur;
	taddr_t off = addr - u->snap_base;

	if (write)
		return -UNW_EINVAL;
	u->stats.mem_reads++;
	if (addr >= u->snap_base && off + sizeof(*val) <= u->snap_len) {
		memcpy(val, u->snap + off, sizeof(*val));
		return 0;
	}
	u->stats.snap_misses++;
	if (snap_grow(u, addr)) {
		memcpy(val, u->snap + off, sizeof(*val));
		return 0;
	}
	if (u->saved_hi && addr < u->saved_hi &&
	    addr + sizeof(*val) > u->saved_lo) {
		/*
		 * The saved stack: only the copy counts (the snapshot is
		 * another stack after a Go stack switch); the live stack
		 * beyond it has changed since.
		 */
		off = addr - u->saved_lo;
		if (addr < u->saved_lo || off + sizeof(*val) > u->saved_len) {
			u->ran_out = addr >= u->saved_lo;
			return -UNW_EINVAL;
		}
		memcpy(val, u->saved + off, sizeof(*val));
		return 0;
	}
	return read_slow(u, addr, val);
}

/* ---- registers ---- */

/* Where each UNW_X86_64_* register is in a user_regs_struct. */
#define REG(unw, field)                                                        \
	[UNW_X86_64_##unw] = offsetof(struct user_regs_struct, field)
static const size_t reg_offset[UNW_X86_64_RIP + 1] = {
    REG(RAX, rax), REG(RDX, rdx), REG(RCX, rcx), REG(RBX, rbx), REG(RSI, rsi),
    REG(RDI, rdi), REG(RBP, rbp), REG(RSP, rsp), REG(R8, r8),	REG(R9, r9),
    REG(R10, r10), REG(R11, r11), REG(R12, r12), REG(R13, r13), REG(R14, r14),
    REG(R15, r15), REG(RIP, rip),
};
#undef REG

static int acc_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val,
		   int write, void *arg)
{
	if (write)
		return -UNW_EREADONLYREG;
	if (reg < 0 || (size_t)reg >= ARRAY_SIZE(reg_offset))
		return -UNW_EBADREG;
	memcpy(val, (const char *)unwind_cur->regs + reg_offset[reg],
	       sizeof(*val));
	return 0;
}

static int acc_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val,
		     int write, void *arg)
{
	return -UNW_EBADREG;
}

static int acc_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	return -UNW_EINVAL;
}

/* ---- unwind tables ---- */

static bool neg_has(const struct unwinder *u, taddr_t ip)
{
	return u->neg_ip[(ip >> 2) % UNWIND_NNEG] == ip;
}

static int acc_find_proc_info(unw_addr_space_t as, unw_word_t ip,
			      unw_proc_info_t *pi, int need_unwind_info,
			      void *arg)
{
	struct unwinder *u = unwind_cur;
	const struct unwind_map *m;
	struct unwind_mod *mod;
	int ret;

	u->stats.find_calls++;
	if (neg_has(u, ip)) {
		u->stats.find_neg++;
		u->step_noinfo = true;
		return -UNW_ENOINFO;
	}
	m = map_find(u, ip);
	if (!m && u->stats.unwinds - u->maps_read_at >= UNWIND_MAPS_EVERY) {
		/*
		 * Mapped since we last looked (the tracer flushes on dlopen,
		 * so this is rare) or garbage: look again, but not often.
		 */
		maps_read(u);
		m = map_find(u, ip);
	}
	ret = -UNW_ENOINFO;
	if (m && m->mod >= 0) {
		mod = &u->mods[m->mod];
		if (!mod->upt) {
			mod->upt = _UPT_create(u->pid);
			u->n_upt++;
		}
		if (mod->upt)
			ret = _UPT_find_proc_info(as, ip, pi, need_unwind_info,
						  mod->upt);
	}
	if (ret == -UNW_ENOINFO) {
		u->neg_ip[(ip >> 2) % UNWIND_NNEG] = ip;
		u->step_noinfo = true;
	}
	return ret;
}

static void acc_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi,
				void *arg)
{
	_UPT_put_unwind_info(as, pi, unwind_cur ? unwind_cur->upt : NULL);
}

static int acc_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *dil,
				      void *arg)
{
	if (!unwind_cur)
		return -UNW_ENOINFO;
	return _UPT_get_dyn_info_list_addr(as, dil, unwind_cur->upt);
}

static int acc_get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf,
			     size_t len, unw_word_t *off, void *arg)
{
	return -UNW_ENOINFO; /* symbols are the symbolizer's job */
}

/* ---- Go's stack switches ---- */

static bool snap_get(struct unwinder *u, taddr_t addr, uint64_t *val);

/*
 * Looks up MOD's stack-switch functions (stack_switch_names) in its
 * .symtab, once.  A file that is not a Go program (no .gopclntab section)
 * has none, and its symbols are not read.
 */
static void mod_load_switches(struct unwind_mod *mod)
{
	Elf_Scn *scn = NULL, *symscn = NULL;
	GElf_Shdr sh, symsh = {0};
	size_t shstrndx;
	bool is_go = false;
	Elf *e;
	int fd;

	mod->switch_known = true;
	fd = open(mod->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_getshdrstrndx(e, &shstrndx))
		goto out;
	while ((scn = elf_nextscn(e, scn))) {
		const char *name;
		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".gopclntab"))
			is_go = true;
		if (sh.sh_type == SHT_SYMTAB) {
			symscn = scn;
			symsh = sh;
		}
	}
	if (is_go && symscn) {
		Elf_Data *d = elf_getdata(symscn, NULL);
		size_t n = 0;

		if (d && symsh.sh_entsize)
			n = symsh.sh_size / symsh.sh_entsize;
		for (size_t i = 0; i < n && mod->nswitch < UNWIND_NSWITCH;
		     i++) {
			GElf_Sym sym;
			GElf_Shdr in;
			const char *name;
			Elf_Scn *where;
			bool want = false;

			if (!gelf_getsym(d, (int)i, &sym) ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !sym.st_size)
				continue;
			name = elf_strptr(e, symsh.sh_link, sym.st_name);
			for (size_t k = 0;
			     name && k < ARRAY_SIZE(stack_switch_names); k++)
				want |= !strcmp(name, stack_switch_names[k]);
			where = want ? elf_getscn(e, sym.st_shndx) : NULL;
			if (!where || !gelf_getshdr(where, &in) ||
			    sym.st_value < in.sh_addr)
				continue;
			mod->sw[mod->nswitch].lo =
			    sym.st_value - in.sh_addr + in.sh_offset;
			mod->sw[mod->nswitch].hi =
			    mod->sw[mod->nswitch].lo + sym.st_size;
			mod->nswitch++;
		}
	}
out:
	if (e)
		elf_end(e);
	close(fd);
}

/* Is the return address IP in one of Go's stack-switch functions? */
static bool is_stack_switch(struct unwinder *u, taddr_t ip)
{
	const struct unwind_map *m = map_find(u, ip - 1);
	struct unwind_mod *mod;
	taddr_t off;

	if (!m || m->mod < 0)
		return false;
	mod = &u->mods[m->mod];
	if (!mod->switch_known)
		mod_load_switches(mod);
	off = ip - 1 - m->start + m->offset;
	for (int i = 0; i < mod->nswitch; i++)
		if (off >= mod->sw[i].lo && off < mod->sw[i].hi)
			return true;
	return false;
}

/* Takes a new snapshot of the live stack at ADDR. */
static void snap_take(struct unwinder *u, taddr_t addr)
{
	u->snap = u->snap_buf;
	u->snap_base = addr;
	u->snap_len = vm_read(u, addr, u->snap_buf, UNWIND_SNAP_SIZE);
	u->snap_full = u->snap_len == UNWIND_SNAP_SIZE;
}

/* Makes the caller's copy of the saved stack the snapshot. */
static void snap_use_saved(struct unwinder *u)
{
	u->snap = u->saved;
	u->snap_base = u->saved_lo;
	u->snap_len = u->saved_len;
	u->snap_full = false;
}

/*
 * The step out of a stack-switch function, from its frame's RBP (the
 * caller's frame pointer, on the other stack): a new snapshot at RBP,
 * then the frame record there.  The return address must be in an
 * executable file mapping.
 */
static bool switch_step(struct unwinder *u, taddr_t *ip, taddr_t *sp,
			taddr_t *rbp)
{
	const struct unwind_map *m;
	uint64_t next, ret;

	if (!*rbp || *rbp & 7)
		return false;
	if (u->saved_hi && *rbp >= u->saved_lo && *rbp < u->saved_hi)
		snap_use_saved(u); /* no switch after all: the same stack */
	else
		snap_take(u, *rbp);
	if (!snap_get(u, *rbp, &next) || !snap_get(u, *rbp + 8, &ret) || !ret)
		return false;
	m = map_find(u, ret);
	if (!m || m->mod < 0)
		return false;
	*ip = ret;
	*sp = *rbp + 16;
	*rbp = next;
	return true;
}

/* ---- the interface ---- */

struct unwinder *unwind_new(pid_t pid)
{
	unw_accessors_t acc = {
	    .find_proc_info = acc_find_proc_info,
	    .put_unwind_info = acc_put_unwind_info,
	    .get_dyn_info_list_addr = acc_get_dyn_info_list_addr,
	    .access_mem = acc_mem,
	    .access_reg = acc_reg,
	    .access_fpreg = acc_fpreg,
	    .resume = acc_resume,
	    .get_proc_name = acc_get_proc_name,
	};
	struct unwinder *u = xcalloc(1, sizeof(*u));

	u->pid = pid;
	u->gen = 1;
	u->upt = _UPT_create(pid);
	u->as = unw_create_addr_space(&acc, 0);
	if (!u->upt || !u->as) {
		if (u->upt)
			_UPT_destroy(u->upt);
		free(u);
		errno = ENOMEM;
		return NULL;
	}
	unw_set_caching_policy(u->as, LEAKCHECK_UNWIND_CACHE);
	/*
	 * The default is 128 IPs.  A miss costs ~0.6 us per frame (CFI
	 * lookup and parse, from the page cache), so size matters little.
	 * Builds of libunwind with __thread support refuse the change once
	 * the cache has a size; Debian's 1.6.2 has none and accepts it.
	 */
	if (unw_set_cache_size(u->as, UNWIND_RS_CACHE, 0) != 0)
		debug("unwind: rs cache size stays at libunwind's default");
	u->snap_buf = xmalloc(UNWIND_SNAP_MAX);
	u->snap = u->snap_buf;
	u->pages = xcalloc(UNWIND_NPAGES, sizeof(*u->pages));
	u->cfi_check = getenv("LEAKCHECK_TEST_CFIWALK") != NULL;
	return u;
}

void unwind_free(struct unwinder *u)
{
	if (!u)
		return;
	debug("unwind: %llu unwinds, %llu frames, %llu snapshot misses "
	      "(%llu from the page cache), %llu process_vm_readv, "
	      "%llu find_proc_info (%llu negative-cached), %llu _UPT contexts, "
	      "%llu maps reads, %llu frame-pointer frames, %llu Go stack "
	      "switches",
	      (unsigned long long)u->stats.unwinds,
	      (unsigned long long)u->stats.frames,
	      (unsigned long long)u->stats.snap_misses,
	      (unsigned long long)u->stats.page_hits,
	      (unsigned long long)u->stats.vm_reads,
	      (unsigned long long)u->stats.find_calls,
	      (unsigned long long)u->stats.find_neg,
	      (unsigned long long)u->n_upt, (unsigned long long)u->n_maps_reads,
	      (unsigned long long)u->n_fp_frames,
	      (unsigned long long)u->n_switches);
	unwind_stats_add(&freed_stats, &u->stats);
	cfitab_proc_free(u->cfi);
	maps_clear(u);
	unw_destroy_addr_space(u->as);
	_UPT_destroy(u->upt);
	free(u->maps);
	free(u->mods);
	free(u->snap_buf);
	free(u->pages);
	free(u);
}

void unwind_flush(struct unwinder *u)
{
	unw_flush_cache(u->as, 0, 0);
	if (u->cfi)
		cfitab_proc_flush(u->cfi);
	maps_clear(u);
	memset(u->neg_ip, 0, sizeof(u->neg_ip));
	for (size_t i = 0; i < UNWIND_NPAGES; i++)
		u->pages[i].addr = 0;
}

/* Reads the stack word at ADDR from the snapshot, growing it if need be. */
static bool snap_get(struct unwinder *u, taddr_t addr, uint64_t *val)
{
	taddr_t off = addr - u->snap_base;

	if (addr < u->snap_base)
		return false;
	if (off + sizeof(*val) > u->snap_len && !snap_grow(u, addr)) {
		if (u->saved_hi && addr < u->saved_hi && u->snap == u->saved)
			u->ran_out = true;
		return false;
	}
	memcpy(val, u->snap + off, sizeof(*val));
	return true;
}

/*
 * One step along the frame-pointer chain, for a frame libunwind could not
 * step through (no CFI, and its own frame-chain guess gave up): from the
 * frame's SP and RBP to its caller's IP, SP and RBP.  Only if it looks
 * like a frame record: RBP 8-aligned, at or above SP, inside the stack
 * snapshot, holding a non-zero return address.
 */
static bool fp_step(struct unwinder *u, taddr_t *ip, taddr_t *sp, taddr_t *rbp)
{
	uint64_t next, ret;

	if (*rbp & 7 || *rbp < *sp || !snap_get(u, *rbp, &next) ||
	    !snap_get(u, *rbp + 8, &ret) || !ret)
		return false;
	*ip = ret;
	*sp = *rbp + 16;
	*rbp = next;
	return true;
}

/*
 * Restarts libunwind at the frame fp_step found: the registers of the
 * first frame, with IP, SP and RBP replaced and the other callee-saved
 * registers as libunwind had recovered them for the frame below.
 */
static int restart(struct unwinder *u, unw_cursor_t *c, taddr_t ip, taddr_t sp,
		   taddr_t rbp)
{
	static const struct {
		unw_regnum_t reg;
		size_t off;
	} saved[] = {
	    {UNW_X86_64_RBX, offsetof(struct user_regs_struct, rbx)},
	    {UNW_X86_64_R12, offsetof(struct user_regs_struct, r12)},
	    {UNW_X86_64_R13, offsetof(struct user_regs_struct, r13)},
	    {UNW_X86_64_R14, offsetof(struct user_regs_struct, r14)},
	    {UNW_X86_64_R15, offsetof(struct user_regs_struct, r15)},
	};
	struct user_regs_struct r = *u->regs;

	for (size_t i = 0; i < ARRAY_SIZE(saved); i++) {
		unw_word_t v;
		if (unw_get_reg(c, saved[i].reg, &v) == 0)
			memcpy((char *)&r + saved[i].off, &v, sizeof(v));
	}
	r.rip = ip;
	r.rsp = sp;
	r.rbp = rbp;
	u->fp_regs = r;
	u->regs = &u->fp_regs;
	return unw_init_remote(c, u->as, u);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The stack to unwind: the live one (STACK NULL), or a copy of [rsp, rsp
 * + LEN) of a stack that ends at HI (see unwind_stack_saved).
 */
struct unwind_src {
	const void *stack;
	size_t len;
	taddr_t hi;
};

/*
 * LEAKCHECK_TEST_CFIWALK (tests/cfiwalk.sh): the stack libunwind gave,
 * PCS[0..N), against cfiwalk's on the same bytes: the same stack where
 * the walk describes it all, a prefix ending at the frame it cannot
 * describe otherwise.  Disagreements are counted and the first ones
 * printed.
 */
static void cfi_compare(struct unwinder *u, const struct user_regs_struct *regs,
			const struct unwind_src *src, const taddr_t *pcs, int n,
			int max)
{
	struct cfiwalk_stack st;
	unsigned char *buf = NULL;
	const void *tab;
	taddr_t w[256];
	size_t size;
	int nw, why;
	bool ok;

	if (!u->cfi)
		u->cfi = cfitab_proc_new(u->pid);
	tab = cfitab_proc_blob(u->cfi, &size);
	if (max > (int)ARRAY_SIZE(w))
		max = (int)ARRAY_SIZE(w);
	if (src->stack) {
		st.mem = src->stack;
		st.lo = regs->rsp;
		st.hi = regs->rsp + src->len;
	} else {
		buf = xmalloc(UNWIND_SNAP_MAX);
		st.mem = buf;
		st.lo = regs->rsp;
		st.hi = regs->rsp + vm_read(u, regs->rsp, buf, UNWIND_SNAP_MAX);
	}
	nw = cfiwalk(tab, size, &st, regs->rip, regs->rsp, regs->rbp, w, max,
		     &why);
	u->stats.cfi_walks++;
	u->stats.cfi_frames += (uint64_t)nw;
	if (why == CFIWALK_FALLBACK)
		debug("cfiwalk: pid %d: fallback at frame %d, pc %#llx",
		      (int)u->pid, nw - 1, (unsigned long long)w[nw - 1]);
	if (u->guessed >= 0 && u->guessed < nw - 1) {
		/*
		 * libunwind found no CFI for frame GUESSED and went on by
		 * the frame pointer, where the tables had a row (a static
		 * executable: no .eh_frame_hdr, which libunwind needs):
		 * the frames up to it must agree.
		 */
		u->stats.cfi_nocfi++;
		nw = u->guessed + 1;
		ok = nw <= n && !memcmp(w, pcs, (size_t)nw * sizeof(*w));
	} else if (why == CFIWALK_FALLBACK || why == CFIWALK_OUT) {
		u->stats.cfi_fallback++;
		ok = nw <= n && !memcmp(w, pcs, (size_t)nw * sizeof(*w));
	} else {
		u->stats.cfi_full++;
		ok = nw == n && !memcmp(w, pcs, (size_t)nw * sizeof(*w));
	}
	if (!ok && u->stats.cfi_differ++ < 20) {
		char a[1024], b[1024];
		warning(
		    "cfiwalk: pid %d: libunwind [%s ] cfiwalk [%s ] (end %d)",
		    (int)u->pid, fmt_addrs(a, sizeof(a), pcs, n),
		    fmt_addrs(b, sizeof(b), w, nw), why);
	}
	free(buf);
}

/* unwind_stack and unwind_stack_saved. */
static int unwind_run(struct unwinder *u, pid_t tid,
		      const struct user_regs_struct *regs,
		      const struct unwind_src *src, taddr_t *pcs, int max)
{
	uint64_t t0 = now_ns();
	unw_cursor_t c;
	unw_word_t ip, sp, prev_ip, prev_sp, rbp = 0;
	int n = 0, ret;

	if (max < 1)
		return 0;
	pcs[n++] = regs->rip;
	if (max < 2)
		goto done;
	unwind_cur = u;
	u->tid = tid;
	u->regs = regs;
	if (++u->gen == 0)
		u->gen = 1;
	u->ran_out = false;
	if (src->stack) {
		u->saved = src->stack;
		u->saved_lo = regs->rsp;
		u->saved_len = src->len;
		/* the copy is the stack's as far as it goes, whatever HI says
		 */
		u->saved_hi = src->hi > regs->rsp + src->len
				  ? src->hi
				  : regs->rsp + src->len;
		snap_use_saved(u);
	} else {
		u->saved_hi = 0;
		snap_take(u, regs->rsp);
	}

	unwind_nomask = true;
	u->guessed = -1;
	if (unw_init_remote(&c, u->as, u) < 0)
		goto out;
	prev_ip = regs->rip;
	prev_sp = regs->rsp;
	rbp = regs->rbp;
	while (n < max) {
		u->step_noinfo = false;
		u->stats.steps++;
		ret = unw_step(&c);
		if ((ret < 0 || u->step_noinfo) && u->guessed < 0)
			u->guessed = n - 1; /* (cfi_compare) */
		if (ret > 0) {
			if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || !ip ||
			    unw_get_reg(&c, UNW_REG_SP, &sp) < 0)
				break;
			if (unw_get_reg(&c, UNW_X86_64_RBP, &rbp) < 0)
				rbp = 0;
		} else if (ret < 0 && u->ran_out) {
			/*
			 * The frame's CFI wants a word past the end of the
			 * copy: the stack is known this far.  The frame
			 * pointer is no guide here (in -O2 code rbp holds
			 * data: a 64 KiB frame's buffer gave a "return
			 * address" made of its text).
			 */
			break;
		} else if (ret < 0 || u->step_noinfo) {
			/*
			 * libunwind failed, or ended the stack at a frame
			 * without CFI (its own guess gave up): follow the
			 * frame pointer for one frame, then let it go on --
			 * onto another stack if this is a Go stack switch.
			 */
			sp = prev_sp;
			if (is_stack_switch(u, prev_ip)) {
				if (!switch_step(u, &ip, &sp, &rbp) ||
				    restart(u, &c, ip, sp, rbp) < 0)
					break;
				u->n_switches++;
			} else {
				if (!fp_step(u, &ip, &sp, &rbp) ||
				    sp <= prev_sp ||
				    restart(u, &c, ip, sp, rbp) < 0)
					break;
				u->n_fp_frames++;
			}
		} else {
			break; /* the end, as the CFI says */
		}
		if (ip == prev_ip && sp == prev_sp)
			break; /* no progress: a loop */
		pcs[n++] = ip;
		prev_ip = ip;
		prev_sp = sp;
	}
out:
	if (u->cfi_check)
		cfi_compare(u, regs, src, pcs, n, max);
	unwind_nomask = false;
	unwind_cur = NULL;
	u->saved = NULL;
	u->saved_hi = 0;
	u->snap = u->snap_buf;
done:
	u->stats.unwinds++;
	u->stats.frames += (uint64_t)n;
	u->stats.ns += now_ns() - t0;
	return n;
}

int unwind_stack(struct unwinder *u, pid_t tid,
		 const struct user_regs_struct *regs, taddr_t *pcs, int max)
{
	static const struct unwind_src live = {NULL, 0, 0};

	return unwind_run(u, tid, regs, &live, pcs, max);
}

int unwind_stack_saved(struct unwinder *u, pid_t tid,
		       const struct user_regs_struct *regs, const void *stack,
		       size_t len, taddr_t hi, taddr_t *pcs, int max)
{
	struct unwind_src saved = {stack, len, hi};
	static const unsigned char none[1];

	if (!stack) /* an empty copy is still a copy */
		saved.stack = none, saved.len = 0;
	return unwind_run(u, tid, regs, &saved, pcs, max);
}

bool unwind_ran_out(const struct unwinder *u)
{
	return u->ran_out;
}

const struct unwind_stats *unwind_get_stats(const struct unwinder *u)
{
	return &u->stats;
}

const struct unwind_stats *unwind_freed_stats(void)
{
	return &freed_stats;
}

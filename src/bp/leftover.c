/*
 * leftover: what a leakcheck killed while attached left in the program,
 * taken out at the next attach.
 *
 * The guard (guard.c) keeps a program alive when leakcheck is killed, but
 * leaves things in it: our page (the SIGTRAP handler, the fast path's
 * code, the out-of-line slots, return slots made nops), the fast path's
 * jmps at the allocator's entries (they only run the displaced
 * instructions now), its data mappings, and our handler as the program's
 * SIGTRAP handler.  Each kill would leave one page more.  So an attach,
 * with every thread stopped and before its own page goes in, looks for
 * such pages (anonymous, r-x, our size, our handler's and restorer's code
 * where ours are) and, for each:
 *   1. the fast path's entries get their original bytes back (each
 *      instance keeps them), and its calls still in progress their return
 *      addresses (its thread table has them): fast_leftover;
 *   2. any other return address into the page on a thread's stack, from
 *      sp up (a return slot's, a return stub's), is put back to the real
 *      one, which the slot or the stub's cell holds;
 *   3. SIGTRAP goes back to its default if the page's handler is the
 *      program's (ours goes in later, as on any attach);
 *   4. the page and its data mappings are unmapped.
 * A page that cannot be taken out whole (a thread's pc in it, a return
 * address into it we cannot resolve, an entry we cannot put back) stays,
 * and works as it did: that is never worse than leaving it.
 *
 * A killed leakcheck's guard may still be at work (it holds the program's
 * /proc/PID/mem while it lives): we wait for it first, or its late writes
 * would land in our new page, often mapped where the old one was.
 *
 * XXX: return addresses on a stack that no thread's sp is in (a thread
 * running on a signal stack, the coroutine it left) are not seen; such a
 * page stays only if a thread's pc is in it.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fast_layout.h"
#include "bp/bp.h"
#include "leakcheck/util.h"

#define STACK_SCAN_MAX (8u << 20) /* a bound, not an expected size */
#define GUARD_WAIT_MS 3000

struct range {
	taddr_t start, end;
};

/* Is a process named leakcheck-guard holding PID's mem file? */
static int guard_at_work(pid_t pid)
{
	char want[64], path[600], link[64];
	struct dirent *de;
	int found = 0;
	DIR *d;

	snprintf(want, sizeof(want), "/proc/%d/mem", pid);
	d = opendir("/proc");
	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		char *comm;
		DIR *fds;
		struct dirent *fe;
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		comm = read_file_text(path, NULL);
		if (!comm || strncmp(comm, "leakcheck-guard", 15)) {
			free(comm);
			continue;
		}
		free(comm);
		snprintf(path, sizeof(path), "/proc/%s/fd", de->d_name);
		fds = opendir(path);
		while (fds && !found && (fe = readdir(fds))) {
			ssize_t n;
			snprintf(path, sizeof(path), "/proc/%s/fd/%s",
				 de->d_name, fe->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = 0;
				found = !strcmp(link, want);
			}
		}
		if (fds)
			closedir(fds);
	}
	closedir(d);
	return found;
}

/* Is PID traced (by a leakcheck that lives: its guard is not done)? */
static int traced(pid_t pid)
{
	char path[64], *text, *f;
	long tracer = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	text = read_file_text(path, NULL);
	if (text && (f = strstr(text, "\nTracerPid:")))
		tracer = atol(f + 11);
	free(text);
	return tracer != 0;
}

void leftover_wait(pid_t pid)
{
	if (traced(pid))
		return; /* attaching fails, and says why */
	for (int ms = 0; ms < GUARD_WAIT_MS && guard_at_work(pid); ms += 10) {
		if (!ms)
			debug(
			    "pid %d: the guard of a leakcheck that was killed "
			    "is at work: waiting for it",
			    pid);
		usleep(10000);
	}
}

/* T's stack words from sp up (the mapping sp is in, RANGES): return
 * addresses into PAGE back to the real ones.  0, or -1 if one cannot be. */
static int fix_stack(struct proc *p, struct thread *t, taddr_t page,
		     taddr_t stubs, const struct range *ranges, size_t nr)
{
	uint64_t buf[4096];
	arch_regs_t r;
	taddr_t sp, end = 0;
	int ret = 0;

	if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) < 0)
		return 0; /* gone */
	if (ARCH_PC(&r) >= page && ARCH_PC(&r) < page + PAGE_SIZE_INJ)
		return -1;
	sp = ARCH_SP(&r) & ~(taddr_t)7;
	for (size_t i = 0; i < nr; i++)
		if (sp >= ranges[i].start && sp < ranges[i].end)
			end = ranges[i].end;
	if (end > sp + STACK_SCAN_MAX)
		end = sp + STACK_SCAN_MAX;
	for (taddr_t at = sp; at < end; at += sizeof(buf)) {
		size_t len = end - at < sizeof(buf) ? end - at : sizeof(buf);
		long n = mem_read(p->pid, at, buf, len);
		if (n <= 0)
			break;
		for (size_t i = 0; i < (size_t)n / 8; i++) {
			taddr_t w = buf[i], real = 0, off = w - page;
			if (w < page || w >= page + PAGE_SIZE_INJ)
				continue;
			if (off >= INJ_RET && off < INJ_STUB &&
			    !((off - INJ_RET) % INJ_RET_SLOT))
				/* a return slot: its jmp's quad */
				mem_read(p->pid, w + 7, &real, sizeof(real));
			else if (off >= INJ_STUB && stubs &&
				 !((off - INJ_STUB) % INJ_STUB_SLOT))
				/* a stub: its cell's return address */
				mem_read(p->pid,
					 stubs +
					     (off - INJ_STUB) / INJ_STUB_SLOT *
						 16 +
					     8,
					 &real, sizeof(real));
			if (!real ||
			    mem_write(p->pid, at + i * 8, &real, sizeof(real)))
				ret = -1;
		}
	}
	return ret;
}

static int take_page(struct proc *p, pid_t tid, taddr_t page,
		     const struct range *ranges, size_t nr)
{
	int keep = 0;
	taddr_t data = fast_leftover(p, page, &keep);
	taddr_t stubs = bp_page_stub_data(p, page);

	for (struct thread *t = threads_of(p, NULL); t; t = threads_of(p, t))
		if (fix_stack(p, t, page, stubs, ranges, nr))
			keep = 1;
	if (keep) {
		debug("pid %d: a page a killed leakcheck left at %#llx stays: "
		      "it is still in use",
		      p->pid, (unsigned long long)page);
		return 0;
	}
	bp_page_handler_off(p, tid, page);
	{
		unsigned long long a[6] = {data, FAST_DATA_SIZE, 0, 0, 0, 0};
		if (data)
			inject_syscall(p, tid, SYS_munmap, a);
		a[0] = stubs, a[1] = DATA_SIZE_INJ;
		if (stubs)
			inject_syscall(p, tid, SYS_munmap, a);
		a[0] = page, a[1] = PAGE_SIZE_INJ;
		inject_syscall(p, tid, SYS_munmap, a);
	}
	debug("pid %d: took out the page a killed leakcheck left at %#llx",
	      p->pid, (unsigned long long)page);
	return 1;
}

void leftover_take(struct proc *p, pid_t tid)
{
	char path[64], *maps, *line, *save = NULL;
	struct range *ranges = NULL;
	taddr_t *pages = NULL;
	size_t nr = 0, rcap = 0, np = 0, pcap = 0;
	int taken = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
	maps = read_file_text(path, NULL);
	if (!maps)
		return;
	for (line = strtok_r(maps, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long s, e, inode;
		char perms[8];
		int off = 0;
		if (sscanf(line, "%llx-%llx %7s %*s %*s %llu %n", &s, &e, perms,
			   &inode, &off) < 4)
			continue;
		ranges = xgrow(ranges, &rcap, nr + 1, sizeof(*ranges));
		ranges[nr++] = (struct range){s, e};
		if (!strcmp(perms, "r-xp") && !inode && (!off || !line[off]) &&
		    e - s == PAGE_SIZE_INJ && bp_is_our_page(p, s)) {
			pages = xgrow(pages, &pcap, np + 1, sizeof(*pages));
			pages[np++] = s;
		}
	}
	for (size_t i = 0; i < np; i++)
		taken += take_page(p, tid, pages[i], ranges, nr);
	if (np)
		debug("pid %d: %zu pages left by a killed leakcheck, %d taken "
		      "out",
		      p->pid, np, taken);
	free(pages);
	free(ranges);
	free(maps);
}

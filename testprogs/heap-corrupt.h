/*
 * heap-corrupt.h: the frame shared by the testprogs/heap-corrupt-*.c
 * programs (tests/heapwalk.sh; no EXPECT line, tests/run.sh skips them).
 *
 * usage: heap-corrupt-PATTERN READYFILE
 *
 * Each program makes a few blocks, leaks one block of 1,000 bytes (a leak
 * made before any attach, lower in the heap than the damage), corrupts
 * glibc's heap in its one way (hc_poke), and from then on never calls
 * malloc or free (glibc would abort) nor stdio (it may allocate): it
 * writes what leakcheck must say on stdout, its pid to READYFILE, and
 * waits for SIGTERM.  Then it checks that nothing changed while it was
 * traced: every kept block holds what was written in it, every corrupted
 * word holds its garbage, and the first bytes of malloc and free are what
 * they were (no int3 left behind).  It writes "heap-corrupt: ok" and
 * exits 0, or names what changed and exits 1.
 *
 * What it writes on stdout, one expectation a line:
 *   warning: TEXT   leakcheck's stderr has exactly one warning line, and
 *                   it contains TEXT ("warning: none": no warning at all)
 *   lost: TEXT      leakcheck's report contains TEXT
 */
#ifndef TESTPROGS_HEAP_CORRUPT_H
#define TESTPROGS_HEAP_CORRUPT_H

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

/* gcc -O2 sees the uses of freed memory these programs make on purpose */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wuse-after-free"
#endif

#define HC_MAX 64
#define HC_LEAK 1000 /* its chunk is 1,008 bytes: usable size = request */

static struct {
	unsigned char *p;
	size_t size;
	unsigned seed;
} hc_kept[HC_MAX];
static int hc_nkept;
static struct {
	volatile uint64_t *at;
	uint64_t val;
} hc_poked[HC_MAX];
static int hc_npoked;
static unsigned char hc_code[2][16];
static volatile sig_atomic_t hc_term;

static void hc_on_term(int sig)
{
	(void)sig;
	hc_term = 1;
}

/* printf to stdout with write(2): stdio may allocate its buffer. */
static __attribute__((format(printf, 1, 2))) void hc_say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (write(1, buf, (size_t)n) < 0)
		_exit(2);
}

static void hc_fill(unsigned char *p, size_t size, unsigned seed)
{
	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

/*
 * Wipe stale pointers, on purpose.  leakcheck attaches while the program
 * waits, and a scan of a live process takes every live frame (their
 * unwritten slots included) and every register as roots; a stale copy of
 * the leak's pointer there would make "lost: 1,000 bytes" depend on what
 * the compiler left where.  These tests are about walking a damaged heap,
 * not about stale roots (the leak-pattern testprogs are written without
 * any of this), so before waiting the program zeroes the stack below its
 * frame, where the frames it waits in are laid down, and the caller-saved
 * registers (as valgrind's CLEAR_CALLER_SAVED_REGS does in its tests).
 */
static NOINLINE void hc_clear_stack(void)
{
	volatile char buf[16384];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = 0;
}

#define HC_CLEAR_REGS()                                                        \
	__asm__ __volatile__("xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\t"        \
			     "xor %%edx, %%edx\n\txor %%esi, %%esi\n\t"        \
			     "xor %%edi, %%edi\n\txor %%r8d, %%r8d\n\t"        \
			     "xor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\t"      \
			     "xor %%r11d, %%r11d\n\tpxor %%xmm0, %%xmm0\n\t"   \
			     "pxor %%xmm1, %%xmm1\n\tpxor %%xmm2, %%xmm2\n\t"  \
			     "pxor %%xmm3, %%xmm3\n\tpxor %%xmm4, %%xmm4\n\t"  \
			     "pxor %%xmm5, %%xmm5\n\tpxor %%xmm6, %%xmm6\n\t"  \
			     "pxor %%xmm7, %%xmm7\n\t"                         \
			     :                                                 \
			     :                                                 \
			     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9",  \
			       "r10", "r11", "xmm0", "xmm1", "xmm2", "xmm3",   \
			       "xmm4", "xmm5", "xmm6", "xmm7", "memory")

/* Remember what malloc and free look like before anyone traces us. */
static void hc_begin(void)
{
	void *volatile m = (void *)malloc, *volatile f = (void *)free;

	memcpy(hc_code[0], m, sizeof(hc_code[0]));
	memcpy(hc_code[1], f, sizeof(hc_code[1]));
}

/* A block of SIZE bytes the program keeps (reachable), filled. */
static void *hc_keep(size_t size)
{
	unsigned char *p = malloc(size);

	if (!p || hc_nkept == HC_MAX)
		abort();
	hc_kept[hc_nkept].p = p;
	hc_kept[hc_nkept].size = size;
	hc_kept[hc_nkept].seed = 17u * (unsigned)hc_nkept + 3;
	hc_fill(p, size, hc_kept[hc_nkept].seed);
	hc_nkept++;
	return p;
}

/* The leak made before attach: HC_LEAK bytes, no pointer left. */
static NOINLINE void hc_leak(void)
{
	unsigned char *p = malloc(HC_LEAK);

	if (!p)
		abort();
	memset(p, 0x5a, HC_LEAK);
	__asm__ volatile("" ::: "memory");
}

/* Corrupt: write VAL at AT and remember it. */
static void hc_poke(void *at, uint64_t val)
{
	if (hc_npoked == HC_MAX)
		abort();
	hc_poked[hc_npoked].at = at;
	hc_poked[hc_npoked].val = val;
	*hc_poked[hc_npoked].at = val;
	hc_npoked++;
}

/* Announce, wait for SIGTERM without allocating, check, exit. */
static __attribute__((noreturn)) void hc_wait(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t block, old;
	char buf[32];
	int fd, n, bad = 0;
	void *volatile m = (void *)malloc, *volatile f = (void *)free;

	hc_say("lost: == 1,000 bytes in 1 blocks are definitely lost\n");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hc_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	hc_clear_stack();
	HC_CLEAR_REGS();
	if (argc < 2)
		_exit(2);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (fd < 0 || write(fd, buf, (size_t)n) != n || close(fd))
		_exit(2);
	while (!hc_term)
		sigsuspend(&old);

	for (int i = 0; i < hc_nkept; i++)
		for (size_t k = 0; k < hc_kept[i].size; k++)
			if (hc_kept[i].p[k] !=
			    (unsigned char)(hc_kept[i].seed + k * 7)) {
				hc_say("heap-corrupt: kept block %p changed\n",
				       (void *)hc_kept[i].p);
				bad = 1;
				break;
			}
	for (int i = 0; i < hc_npoked; i++)
		if (*hc_poked[i].at != hc_poked[i].val) {
			hc_say("heap-corrupt: word at %p changed\n",
			       (void *)hc_poked[i].at);
			bad = 1;
		}
	if (memcmp(hc_code[0], m, sizeof(hc_code[0])) ||
	    memcmp(hc_code[1], f, sizeof(hc_code[1]))) {
		hc_say("heap-corrupt: malloc or free's code changed\n");
		bad = 1;
	}
	if (!bad)
		hc_say("heap-corrupt: ok\n");
	_exit(bad);
}

#endif

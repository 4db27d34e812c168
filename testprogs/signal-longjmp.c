/* signal-longjmp: a SIGALRM watchdog, every 100 us, whose handler
 * abandons with siglongjmp the code generated at run time it interrupts
 * (an interpreter's time limit on its JIT code does this), and returns
 * from the program's own code and the libraries' (a jump out of malloc
 * would leave the heap half way).  Natively, and under valgrind, no pc
 * is ever in anonymous code: the loop runs once through, and its calls
 * are exactly
 *
 *   20000 x malloc(64), all freed but every 1000th: 20 blocks, 1,280
 *   bytes, definitely lost ("20,000 allocs, 19,980 frees")
 *
 * Under a tracer whose code runs in the program, a handler must never
 * start in that code (tests/run.sh, signal-longjmp-*).
 *
 * EXPECT: definite=1280/20 indirect=0/0 possible=0/0 reachable=0/0
 */
#define _GNU_SOURCE 1 /* REG_RIP */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#define N 20000

static sigjmp_buf again;
static volatile sig_atomic_t armed;
static unsigned long lo[64], hi[64];
static int nranges;

/* The file-backed mappings, and [vdso]: [lo, hi). */
static void read_maps(void)
{
	static char buf[1 << 16];
	ssize_t n, len = 0;
	int fd = open("/proc/self/maps", O_RDONLY);

	while (fd >= 0 && len < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	if (fd >= 0)
		close(fd);
	buf[len] = 0;
	for (char *line = buf; *line && nranges < 64;) {
		char *end = strchr(line, '\n');
		if (end)
			*end = 0;
		if (strchr(line, '/') || strstr(line, "[vdso]")) {
			lo[nranges] = strtoul(line, &line, 16);
			hi[nranges++] = strtoul(line + 1, NULL, 16);
		}
		if (!end)
			break;
		line = end + 1;
	}
}

static void on_alarm(int sig, siginfo_t *si, void *ctx)
{
	unsigned long pc = ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP];

	for (int i = 0; i < nranges; i++)
		if (pc >= lo[i] && pc < hi[i])
			return;
	if (armed)
		siglongjmp(again, 1); /* start the step again */
}

int main(void)
{
	struct sigaction sa;
	struct itimerval it = {{0, 100}, {0, 100}};
	volatile int i = 0;

	read_maps();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_alarm;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	sigsetjmp(again, 1);
	armed = 1;
	while (i < N) {
		char *volatile p = malloc(64);
		memset(p, 1, 64);
		if (i % 1000)
			free(p);
		i = i + 1;
	}
	armed = 0;
	return 0;
}

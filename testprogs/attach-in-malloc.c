/*
 * attach-in-malloc: leakcheck --pid finds the main thread inside malloc
 * (tests/attach.sh; no EXPECT line, tests/run.sh skips it).
 *
 * usage: attach-in-malloc READYFILE FIFO
 *
 * A thread calls malloc_stats(), which holds main_arena's lock while it
 * writes to stderr; stderr is FIFO, filled up beforehand, and nobody
 * reads it yet: the thread blocks in write() holding the lock.  The main
 * thread writes its pid to READYFILE and calls malloc(HELD): it blocks on
 * the lock, inside malloc.  When the test starts reading FIFO both calls
 * finish; the block is kept in HELD, so it is still reachable.
 *
 * A malloc that began before attach and ends after it is neither in the
 * heap at the walk nor seen at its entry: unless leakcheck lets it finish
 * before walking, the 5,000-byte block is missing from the report.  After
 * detach the program checks its block and the code of malloc and free,
 * and at SIGTERM prints "attach-in-malloc: ok" and exits 0.
 */
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HELD 5000 /* its chunk is 5,008 bytes: usable size = request */

static volatile pid_t stats_tid;
static volatile sig_atomic_t term;
static unsigned char *volatile held;

static void on_term(int sig)
{
	(void)sig;
	term = 1;
}

static void *stats(void *arg)
{
	(void)arg;
	stats_tid = (pid_t)syscall(SYS_gettid);
	malloc_stats(); /* blocks writing to the full FIFO, lock held */
	return NULL;
}

static void say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		_exit(2);
}

int main(int argc, char **argv)
{
	static char fill[4096];
	unsigned char code[2][16];
	void *volatile m = (void *)malloc, *volatile f = (void *)free;
	struct sigaction sa;
	sigset_t block, old;
	pthread_t th;
	char buf[32];
	int fd, n, bad = 0;

	if (argc < 3)
		return 2;
	memcpy(code[0], m, 16);
	memcpy(code[1], f, 16);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	free(malloc(16)); /* main_arena set up */

	fd = open(argv[2], O_WRONLY | O_NONBLOCK);
	if (fd < 0)
		return 2;
	memset(fill, 'x', sizeof(fill));
	while (write(fd, fill, sizeof(fill)) > 0)
		;
	fcntl(fd, F_SETFL, 0);
	dup2(fd, 2);
	close(fd);

	if (pthread_create(&th, NULL, stats, NULL))
		return 2;
	/* until that thread sits in write(2), lock held */
	for (;;) {
		char path[64], sc[16] = "";
		int sfd;
		usleep(1000);
		if (!stats_tid)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/syscall",
			 (int)stats_tid);
		sfd = open(path, O_RDONLY);
		if (sfd >= 0 && read(sfd, sc, sizeof(sc) - 1) > 0 &&
		    !strncmp(sc, "1 ", 2)) {
			close(sfd);
			break;
		}
		if (sfd >= 0)
			close(sfd);
	}
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (fd < 0 || write(fd, buf, (size_t)n) != n || close(fd))
		return 2;

	held = malloc(HELD); /* waits for the lock */
	if (!held)
		return 2;
	memset(held, 0x6b, HELD);
	while (!term)
		sigsuspend(&old);
	for (int i = 0; i < HELD; i++)
		if (held[i] != 0x6b) {
			say("attach-in-malloc: block changed\n");
			bad = 1;
			break;
		}
	if (memcmp(code[0], m, 16) || memcmp(code[1], f, 16)) {
		say("attach-in-malloc: malloc or free's code changed\n");
		bad = 1;
	}
	if (!bad)
		say("attach-in-malloc: ok\n");
	_exit(bad);
}

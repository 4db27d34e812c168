/*
 * heap-unused: a program that has never called malloc, for tests/heapwalk.sh
 * (no EXPECT line).  glibc's main_arena is not set up until the first
 * call, so the heap walk finds nothing to walk; that is not a corrupt heap
 * and must not be reported as one.  Speaks the heap-corrupt.h protocol
 * with raw write(2)s (stdio would allocate its buffers): "warning: none",
 * the ready file, then at SIGTERM "heap-corrupt: ok" and exit 0.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void say(int fd, const char *s)
{
	(void)!write(fd, s, strlen(s));
}

int main(int argc, char **argv)
{
	char pid[24];
	int fd, n = 0;
	sigset_t none;

	if (argc != 2)
		return 2;
	signal(SIGTERM, on_term);
	say(1, "warning: none\n");
	for (int v = (int)getpid(); v; v /= 10)
		n++;
	pid[n] = '\n';
	for (int v = (int)getpid(), i = n - 1; i >= 0; v /= 10, i--)
		pid[i] = (char)('0' + v % 10);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return 2;
	(void)!write(fd, pid, (size_t)n + 1);
	close(fd);
	sigemptyset(&none);
	while (!stop)
		sigsuspend(&none);
	say(1, "heap-corrupt: ok\n");
	return 0;
}

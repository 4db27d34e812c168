/*
 * trapper: a program with a SIGTRAP handler of its own, for the --pid
 * test of the guard process (tests/attach.sh; no EXPECT line, tests/run.sh
 * skips it).  leakcheck does not install its SIGTRAP handler in such a
 * program, so once leakcheck is gone only the guard stands between the
 * program and our int3s.
 *
 * usage: trapper READYFILE
 *
 * Writes its pid to READYFILE and waits.  At SIGUSR1 it makes 1000
 * malloc/free pairs, prints "trapper: ok" and exits 0.  Its SIGTRAP
 * handler (an int3 of leakcheck's that met no tracer) prints "trapper:
 * SIGTRAP" and exits 5.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t go;
static void *volatile sink;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static void on_trap(int sig)
{
	static const char msg[] = "trapper: SIGTRAP\n";
	(void)sig;
	(void)!write(1, msg, sizeof(msg) - 1);
	/* not _exit(): it carries an int3 of leakcheck's too (where freeres
	 * runs), which would trap again inside this handler */
	syscall(SYS_exit_group, 5);
}

int main(int argc, char **argv)
{
	sigset_t block, old;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: trapper READYFILE\n");
		return 2;
	}
	signal(SIGTRAP, on_trap);
	signal(SIGUSR1, on_usr1);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	f = fopen(argv[1], "w");
	if (!f)
		return 2;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	while (!go)
		sigsuspend(&old);
	for (int i = 0; i < 1000; i++) {
		sink = malloc(16 + (size_t)i);
		free(sink);
	}
	printf("trapper: ok\n");
	return 0;
}

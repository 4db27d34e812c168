/*
 * jobctl-tty: a terminal program that suspends itself the way less and vi
 * do, for tests/jobctl.sh (no EXPECT line: tests/run.sh leaves it alone).
 *
 * It turns the terminal's echo and line editing off and catches SIGTSTP.
 * On Ctrl-Z the handler only sets a flag; the main loop then puts the
 * terminal back as it was, makes an allocator call that traps under
 * leakcheck (posix_memalign has no fast path), restores SIGTSTP's default
 * action and stops with kill(0, SIGTSTP), its whole process group as vi
 * does (with the argument "self": kill(getpid(), SIGTSTP), as less does).
 * When continued it turns echo off again and prints "resumed N".
 *
 * Keys: q quits with status 3, leaving one definitely lost block of 4,242
 * bytes; any other key is printed back as "key C".  Lines on stderr (so
 * that they show at once when stdout is a pipe): ready, suspending,
 * resumed N, key C, quit.
 */
#define _GNU_SOURCE 1 /* ppoll */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t stop_asked;
static void *volatile sink;

static void on_tstp(int sig)
{
	(void)sig;
	stop_asked = 1;
}

static void catch_tstp(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tstp; /* no SA_RESTART: the wait returns EINTR */
	sigaction(SIGTSTP, &sa, NULL);
}

static void say(const char *what, int n)
{
	if (n >= 0)
		fprintf(stderr, "jobctl-tty: %s %d\n", what, n);
	else
		fprintf(stderr, "jobctl-tty: %s\n", what);
}

int main(int argc, char **argv)
{
	int self = argc > 1 && !strcmp(argv[1], "self");
	struct termios orig, raw;
	sigset_t tstp, waiting;
	int resumed = 0;

	if (tcgetattr(0, &orig)) {
		perror("jobctl-tty: stdin is not a terminal");
		return 2;
	}
	raw = orig;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	/* SIGTSTP is taken only while waiting for a key (ppoll's mask) */
	sigemptyset(&tstp);
	sigaddset(&tstp, SIGTSTP);
	sigprocmask(SIG_BLOCK, &tstp, &waiting);
	sigdelset(&waiting, SIGTSTP);
	catch_tstp();
	tcsetattr(0, TCSAFLUSH, &raw);
	say("ready", -1);
	for (;;) {
		struct pollfd pfd = {.fd = 0, .events = POLLIN};
		char c;
		ssize_t n;

		if (stop_asked) {
			void *p;
			stop_asked = 0;
			tcsetattr(0, TCSAFLUSH, &orig);
			say("suspending", -1);
			if (posix_memalign(&p, 64, 100) == 0)
				free(p);
			signal(SIGTSTP, SIG_DFL);
			sigprocmask(SIG_UNBLOCK, &tstp, NULL);
			kill(self ? getpid() : 0, SIGTSTP);
			/* ... continued */
			sigprocmask(SIG_BLOCK, &tstp, NULL);
			catch_tstp();
			tcsetattr(0, TCSAFLUSH, &raw);
			say("resumed", ++resumed);
			continue;
		}
		if (ppoll(&pfd, 1, NULL, &waiting) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n = read(0, &c, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		if (c == 'q') {
			sink = malloc(4242);
			sink = NULL;
			tcsetattr(0, TCSAFLUSH, &orig);
			say("quit", -1);
			return 3;
		}
		fprintf(stderr, "jobctl-tty: key %c\n", c);
	}
	tcsetattr(0, TCSAFLUSH, &orig);
	say("end of input", -1);
	return 4;
}

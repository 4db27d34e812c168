/* cxx-fork-workers: a C++ server that forks two workers, the way prefork
 * servers do; each process prints through stdio and exits with exit().
 *
 *   parent: printf; new int[4] (16 bytes), dropped; twice: fork a
 *           worker and wait for it (one at a time: their lines in
 *           order); exit(0)
 *   worker: new Job (24 bytes), dropped; printf; back in main, exit(0)
 *
 * Every process runs glibc's and libstdc++'s freeres at its _exit, as
 * valgrind does in each process it follows: stdout's buffer and
 * libstdc++'s emergency exception pool (72,704 bytes, allocated when
 * libstdc++ is loaded) are freed in the workers too, not reported as
 * still reachable.  Each worker also inherits the parent's lost array:
 *   worker: 16 + 24 = 40 bytes in 2 blocks, definitely lost (twice)
 *   parent: 16 bytes in 1 block, definitely lost
 *
 * VG-FLAGS: --trace-children=yes
 * EXPECT: definite=40/2 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT: definite=40/2 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT: definite=16/1 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite operator new <- worker <- main
 */
#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>
#include <unistd.h>

struct Job {
	long id;
	const char *name;
	Job *next;
};

static __attribute__((noinline)) void worker(int n)
{
	/* volatile, or -O2 deletes the unread object */
	Job *volatile j = new Job{n, "worker", nullptr};

	std::printf("worker %d: job %ld\n", n, j->id);
}

int main()
{
	int *volatile config = new int[4]{1, 2, 3, 4};
	pid_t pid;

	std::printf("parent: %d workers, config %d\n", 2, config[0]);
	std::fflush(stdout);
	config = nullptr;
	for (int i = 0; i < 2; i++) {
		pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0) {
			worker(i);
			std::exit(0);
		}
		waitpid(pid, nullptr, 0);
	}
	return 0;
}

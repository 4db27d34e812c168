/* holders-thread-stack: a block held by a thread's stack frame (or, as
 * the compiler decides, one of its registers) while main exits.
 *
 *   worker's frame: buf -> block (4096 bytes, alloc_buffer)
 *
 * The worker allocates a buffer, says it is ready and waits for work
 * that never comes, using the buffer after the wait; main exits.  Every
 * thread's stack and registers are roots (but the exiting thread's
 * registers): the buffer is still reachable, held by the worker's frame
 * (at -O0).  At -O2 the compiler keeps buf in a callee-saved register
 * across the wait, and pause() saves that register in its own frame on
 * entry: the holder is then pause's frame ("a frame called from worker",
 * the return address above it says), at or just above the worker's sp
 * at its system call (or the register itself, had nothing saved it).
 * The live thread's DTV
 * (calloc'd by pthread_create: 272 bytes) is held by its TCB, glibc's
 * own memory.
 *
 * valgrind has no holder paths: the chains are checked in leakcheck's
 * report only (EXPECT-HELD); valgrind is the oracle for the kinds.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=4368/2
 * EXPECT-HELD: reachable alloc_buffer :: ^held by: (stack of thread [0-9]+, in the frame of worker \(holders-thread-stack\.c:[0-9]+\) \(0x[0-9a-f]+, sp\+0x[0-9a-f]+\)|register (rbx|rbp|r12|r13|r14|r15) of thread [0-9]+) \| -> this block \(0x[0-9A-F]+\), which retains 4,096 bytes in 1 blocks$
 * EXPECT-HELD[*-O2]: reachable alloc_buffer :: ^held by: (stack of thread [0-9]+, in (the frame of (__libc_pause|pause|worker)|a frame called from worker)( \([^)]*\))? \(0x[0-9a-f]+, sp\+0x[0-9a-f]+\)|register (rbx|rbp|r12|r13|r14|r15) of thread [0-9]+) \| -> this block \(0x[0-9A-F]+\), which retains 4,096 bytes in 1 blocks$
 * EXPECT-HELD[*-O2]: reachable (pthread_create|allocate_dtv|_dl_allocate_tls) :: ^held by: glibc's DTV \(TLS vector\) of thread [0-9]+ \| -> this block
 * EXPECT-HELD: reachable (pthread_create|allocate_dtv|_dl_allocate_tls) :: ^held by: glibc's DTV \(TLS vector\) of thread [0-9]+ \| -> this block
 * VG-EXPECT: definite=0/0 indirect=0/0 possible=272/1 reachable=4096/1
 * VG-DIFFERS: the live thread's DTV: valgrind calls it possibly lost (its TCB points 16 bytes into it); it is glibc's own memory, which leakcheck counts as still reachable, never an error kind, as LSan does
 * ALLOC-EXTRA[jemalloc]: reachable=32/0 (a thread's DTV is 16 bytes longer
 *   for each module with TLS that the allocator brings: jemalloc and
 *   libstdc++)
 * ALLOC-EXTRA[tcmalloc]: reachable=48/0 (libtcmalloc, libstdc++, libunwind)
 * ALLOC-EXTRA[mimalloc]: reachable=16/0 (libmimalloc)
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static pthread_barrier_t ready;
static volatile sig_atomic_t work;

static NOINLINE char *alloc_buffer(void *arg)
{
	char *buf = malloc(4096);

	snprintf(buf, 4096, "worker %p", arg);
	return buf;
}

static void *worker(void *arg)
{
	char *buf = alloc_buffer(arg);

	pthread_barrier_wait(&ready);
	while (!work)
		pause();
	puts(buf);
	free(buf);
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_barrier_init(&ready, NULL, 2);
	pthread_create(&t, NULL, worker, NULL);
	pthread_barrier_wait(&ready);
	exit(0);
}

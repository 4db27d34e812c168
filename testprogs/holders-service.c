/* holders-service: a service whose session registry grows on request, for
 * the holder tests of a live process (--holders-of, --pid, --report=new:
 * tests/holders.sh) and valgrind's who_points_at.
 *
 *   global registry (.buckets at +8) -> buckets (16 pointers, 128 bytes,
 *   registry_init) +8*(id % 16) -> session (24 bytes, session_open; the
 *   newest of its bucket first) +8 -> buf (64 bytes, session_buf)
 *
 * usage: holders-service [READYFILE [SECONDS]]
 *
 * It opens 4 sessions (ids 0-3) and logs "session ID at ADDR buf ADDR"
 * for each on stderr, as a service logs what it does.  Without READYFILE
 * it then exits: everything is still reachable, held from 'registry'.
 * With READYFILE it writes its pid there and serves for SECONDS (60):
 * every 20 ms it looks for READYFILE.grow, and when it is there, opens as
 * many more sessions as the number in it says, removes it and writes the
 * session count to READYFILE.grown.  SIGTERM ends it; it exits 0.
 *
 * ARGS:
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=480/9
 * EXPECT-HELD: reachable registry_init :: ^held by: global 'registry' \(holders-service\.c:[0-9]+, in [^ ]+/holders-service\) \+8 \| -> this block \(0x[0-9A-F]+\), which retains 480 bytes in 9 blocks$
 * EXPECT-HELD: reachable session_open :: ^held by: global 'registry' \(holders-service\.c:[0-9]+, in [^ ]+/holders-service\) \+8 \| -> 0x[0-9A-F]+ \(128 bytes, allocated at registry_init \(holders-service\.c:[0-9]+\)\) \+(0|8|16|24) \| -> this block \(0x[0-9A-F]+\), which retains 88 bytes in 2 blocks$
 * EXPECT-HELD: reachable session_buf :: ^held by: global 'registry' .* \| -> 0x[0-9A-F]+ \(128 bytes, allocated at registry_init .* \| -> 0x[0-9A-F]+ \(24 bytes, allocated at session_open \(holders-service\.c:[0-9]+\)\) \+8 \| -> this block \(0x[0-9A-F]+\), which retains 64 bytes in 1 blocks$
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define NBUCKETS 16

struct session {
	struct session *next;
	char *buf;
	long id;
};

struct registry {
	long count;
	struct session **buckets;
} registry;

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static NOINLINE void registry_init(void)
{
	registry.buckets = calloc(NBUCKETS, sizeof(*registry.buckets));
}

static NOINLINE char *session_buf(long id)
{
	char *buf = malloc(64);

	snprintf(buf, 64, "session %ld", id);
	return buf;
}

static NOINLINE void session_open(long id)
{
	struct session *s = malloc(sizeof(*s));
	struct session **b = &registry.buckets[id % NBUCKETS];

	s->id = id;
	s->buf = session_buf(id);
	s->next = *b;
	*b = s;
	registry.count++;
	fprintf(stderr, "session %ld at %p buf %p\n", id, (void *)s,
		(void *)s->buf);
}

/* The number in PATH.grow, or 0 if there is none. */
static long grow_request(const char *ready)
{
	char path[4096];
	FILE *f;
	long n = 0;

	snprintf(path, sizeof(path), "%s.grow", ready);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &n) != 1)
		n = 0;
	fclose(f);
	unlink(path);
	return n;
}

static void say(const char *ready, const char *suffix, long v)
{
	char path[4096], tmp[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", ready, suffix);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		exit(2);
	fprintf(f, "%ld\n", v);
	fclose(f);
	rename(tmp, path);
}

int main(int argc, char **argv)
{
	const char *ready = argc > 1 ? argv[1] : NULL;
	long seconds = argc > 2 ? atol(argv[2]) : 60;
	struct timespec tick = {0, 20 * 1000 * 1000};
	long ticks;

	registry_init();
	for (long i = 0; i < 4; i++)
		session_open(i);
	if (!ready)
		return 0;
	signal(SIGTERM, on_stop);
	say(ready, "", (long)getpid());
	for (ticks = seconds * 50; ticks > 0 && !stop; ticks--) {
		long n = grow_request(ready);
		if (n > 0) {
			for (long i = 0; i < n; i++)
				session_open(registry.count);
			say(ready, ".grown", registry.count);
		}
		nanosleep(&tick, NULL);
	}
	return 0;
}

/* demo: the program `make demo` runs under leakcheck, with one leak of
 * each kind.
 *
 *   definitely lost: a struct user (24 bytes) whose pointer is dropped
 *   indirectly lost: that user's name and email strings (6 + 18 bytes),
 *                    pointed to only from the lost struct
 *   possibly lost:   a 64-byte request buffer, pointed to only by `cursor`,
 *                    which points 4 bytes into it
 *   still reachable: the 128-byte `config` table, a global
 *
 * stdout is made unbuffered first, so that stdio allocates no buffer and
 * the numbers are the demo's own.
 *
 * EXPECT: definite=24/1 indirect=24/2 possible=64/1 reachable=128/1
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

/* Overwrite the dead frames below the caller's with zeros, so that no stale
 * copy of a pointer is left where a scan from sp (less the red zone) finds it. */
static NOINLINE void clear_stack(void)
{
	volatile char buf[16384];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = 0;
}

/* Zero the caller-saved registers, like valgrind's CLEAR_CALLER_SAVED_REGS. */
#define CLEAR_REGS()                                                           \
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

struct user {
	int id;
	char *name;
	char *email;
};

char **config;	/* still reachable: a global points to it */
char *cursor;	/* points into the middle of a buffer */

static NOINLINE struct user *new_user(int id, const char *name,
				      const char *email)
{
	struct user *u = malloc(sizeof(*u));

	u->id = id;
	u->name = strdup(name);
	u->email = strdup(email);
	return u;
}

static NOINLINE void greet(void)
{
	struct user *u = new_user(1, "alice", "alice@example.org");

	printf("hello, %s <%s>\n", u->name, u->email);
	/* forgot free(u->name), free(u->email), free(u): the struct is
	 * definitely lost, the strings indirectly lost */
}

static NOINLINE void parse_request(void)
{
	char *buf = malloc(64);

	strcpy(buf, "GET /index.html");
	cursor = buf + 4; /* only a pointer into the middle survives */
	printf("path: %s\n", cursor);
}

static NOINLINE void load_config(void)
{
	config = calloc(16, sizeof(*config));
	printf("config: %zu slots\n", (size_t)16);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	load_config();
	greet();
	parse_request();
	/* Test scaffolding: wipe stale copies of pointers from dead stack
	 * frames and registers, so that the result is exact. */
	clear_stack();
	CLEAR_REGS();
	return 0;
}

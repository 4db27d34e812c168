/* definite-segv-null: a program that leaks, prints, then dies of SIGSEGV
 * dereferencing the NULL a failed lookup returned.
 *
 *   users (global) -> 2 x struct user (16 bytes) -> name (strdup: 6, 4)
 *                                                   still reachable
 *   greet(): msg = malloc(64), dropped              definitely lost
 *   printf: stdout's buffer (4,096 bytes, stdout being a file)
 *                                                   still reachable
 *   find("mallory") returns NULL; u->id: SIGSEGV
 *
 * greet is noinline: inlined into main (as at -O2) its msg would live in
 * main's frame, live when the signal comes, and be still reachable -- as
 * valgrind then says.
 *
 * A process killed by a signal runs no exit handlers, and valgrind runs
 * no __libc_freeres for it: stdout's buffer is still there, pointed to
 * from libc's _IO_2_1_stdout_, and its unflushed text is lost (stdout
 * under valgrind and under leakcheck are both empty).  leakcheck reports,
 * then dies of the same signal: the shell sees 128 + 11 (as for segv).
 *
 * EXPECT: definite=64/1 indirect=0/0 possible=0/0 reachable=4138/5
 * EXPECT-STATUS: 139
 * EXPECT-STACK: definite malloc <- greet <- main
 * ALLOC-EXTRA[jemalloc,tcmalloc]: reachable=72704/1 (libstdc++'s emergency
 *   exception pool: jemalloc and tcmalloc load libstdc++, and a program
 *   that dies by a signal (or by exit_group) runs no freeres, under
 *   valgrind neither.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct user {
	char *name;
	long id;
};

struct user *users[2];

static struct user *make_user(const char *name, long id)
{
	struct user *u = malloc(sizeof(*u));

	u->name = strdup(name);
	u->id = id;
	return u;
}

static struct user *find(const char *name)
{
	for (int i = 0; i < 2; i++)
		if (strcmp(users[i]->name, name) == 0)
			return users[i];
	return NULL;
}

static __attribute__((noinline)) void greet(const char *name)
{
	char *volatile msg = malloc(64); /* volatile, or -O2 deletes it */

	snprintf(msg, 64, "hello, %s", name);
	/* forgot free(msg) */
}

int main(void)
{
	struct user *u;

	users[0] = make_user("alice", 1);
	users[1] = make_user("bob", 2);
	greet("alice");
	printf("looking up mallory\n");
	u = find("mallory");
	printf("mallory is user %ld\n", u->id);
	return 0;
}

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
	return 0;
}

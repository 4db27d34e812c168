/*
 * check.h: the unit tests' assertions.  CHECK(cond) counts and reports a
 * failure with file:line and goes on; CHECK_EQ_U compares unsigned values
 * and prints both.  check_done() prints "name: N passed, N failed" and
 * returns the exit status.
 */
#ifndef LEAKCHECK_TEST_CHECK_H
#define LEAKCHECK_TEST_CHECK_H

#include <stdio.h>

static int check_pass, check_fail;

#define CHECK(c)                                                               \
	do {                                                                   \
		if (c) {                                                       \
			check_pass++;                                          \
		} else {                                                       \
			check_fail++;                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,  \
				__LINE__, #c);                                 \
		}                                                              \
	} while (0)

#define CHECK_EQ_U(a, b)                                                       \
	do {                                                                   \
		unsigned long long a_ = (a), b_ = (b);                         \
		if (a_ == b_) {                                                \
			check_pass++;                                          \
		} else {                                                       \
			check_fail++;                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%llu != %llu)\n", \
				__FILE__, __LINE__, #a, #b, a_, b_);           \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (a_ && b_ && !strcmp(a_, b_)) {                             \
			check_pass++;                                          \
		} else {                                                       \
			check_fail++;                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" != \"%s\")\n", \
				__FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", \
				b_ ? b_ : "(null)");                           \
		}                                                              \
	} while (0)

static inline int check_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_pass, check_fail);
	return check_fail ? 1 : 0;
}

/* xorshift64*: a fixed pseudo-random sequence from *STATE (nonzero), for
 * tests that must be the same run every time. */
static inline unsigned long long check_rand(unsigned long long *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dull;
}

#endif

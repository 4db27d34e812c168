/*
 * kinds: names of the four leak kinds, as valgrind spells them, and the
 * parser for valgrind's kind lists.
 */
#include <errno.h>
#include <string.h>

#include "leakcheck/scan.h"

static const char *const phrases[LEAK_NKINDS] = {
    "definitely lost", "indirectly lost", "possibly lost", "still reachable"};
static const char *const names[LEAK_NKINDS] = {"definite", "indirect",
					       "possible", "reachable"};

const char *leak_kind_phrase(enum leak_kind k)
{
	return k < LEAK_NKINDS ? phrases[k] : "unknown";
}

const char *leak_kind_name(enum leak_kind k)
{
	return k < LEAK_NKINDS ? names[k] : "unknown";
}

int leak_kinds_parse(const char *s, unsigned *mask)
{
	unsigned m = 0;
	if (!strcmp(s, "all")) {
		*mask = (1u << LEAK_NKINDS) - 1;
		return 0;
	}
	if (!strcmp(s, "none")) {
		*mask = 0;
		return 0;
	}
	while (*s) {
		size_t len = strcspn(s, ",");
		int found = 0;
		for (int k = 0; k < LEAK_NKINDS; k++) {
			if (strlen(names[k]) == len &&
			    !strncmp(s, names[k], len)) {
				m |= 1u << k;
				found = 1;
			}
		}
		if (!found)
			return -EINVAL;
		s += len;
		if (*s == ',') {
			s++;
			if (!*s)
				return -EINVAL;
		}
	}
	*mask = m;
	return 0;
}

/*
 * Basic types shared by every module.
 *
 * A tracee address is a taddr_t, never a pointer: it is not ours to
 * dereference.
 */
#ifndef LEAKCHECK_TYPES_H
#define LEAKCHECK_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

typedef uint64_t taddr_t;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif

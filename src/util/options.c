/*
 * options: the one instance of the parsed command line, with valgrind's
 * defaults.  main() fills it; every other module only reads it.
 */
#include "leakcheck/options.h"

struct options opt = {
    .leak_check = LEAK_CHECK_SUMMARY,
    .show_kinds = (1u << LEAK_DEFINITE) | (1u << LEAK_POSSIBLE),
    .error_kinds = (1u << LEAK_DEFINITE) | (1u << LEAK_POSSIBLE),
    .num_callers = 12,
    .unwind_in_program = 1,
};

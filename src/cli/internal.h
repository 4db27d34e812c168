/*
 * Shared by the files of src/cli only.
 */
#ifndef LEAKCHECK_CLI_INTERNAL_H
#define LEAKCHECK_CLI_INTERNAL_H

/* "leakcheck merge OUT.xml IN...": ARGV[0] is "merge".  Returns the exit
 * status: 0, 64 usage, 65 an input is not leakcheck's JUnit, 66 an input
 * cannot be read, 73 the output cannot be written. */
int cmd_merge(int argc, char **argv);

#endif

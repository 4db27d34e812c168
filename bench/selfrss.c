/*
 * selfrss.so: preloaded into leakcheck (not into the program it runs)
 * by bench/run.sh to measure leakcheck's own peak RSS.
 *
 *     SELFRSS_OUT=FILE LD_PRELOAD=.../selfrss.so ./leakcheck ... PROG
 *
 * At load it takes SELFRSS_OUT and LD_PRELOAD out of the environment,
 * so the traced program neither inherits the preload nor writes the file.
 * At exit it writes getrusage(RUSAGE_SELF).ru_maxrss (KiB) to FILE: the
 * tracer's own high-water mark.  wait4's or /usr/bin/time's %M cannot
 * give that: the kernel reports max(own, reaped children's), and the
 * traced program is a reaped child.  Nothing is written if leakcheck
 * leaves through _exit or a signal.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static char out_path[4096];

__attribute__((constructor)) static void selfrss_init(void)
{
	const char *p = getenv("SELFRSS_OUT");
	if (p)
		snprintf(out_path, sizeof(out_path), "%s", p);
	unsetenv("SELFRSS_OUT");
	unsetenv("LD_PRELOAD");
}

__attribute__((destructor)) static void selfrss_fini(void)
{
	struct rusage ru;
	FILE *f;
	if (!out_path[0] || getrusage(RUSAGE_SELF, &ru))
		return;
	f = fopen(out_path, "w");
	if (!f)
		return;
	fprintf(f, "%ld\n", ru.ru_maxrss);
	fclose(f);
}

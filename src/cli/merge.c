/*
 * merge: the "leakcheck merge OUT.xml IN..." subcommand.  Each IN is a
 * JUnit file written by --junit, a directory (its *.xml files, sorted, not
 * descending), or a quoted glob pattern; OUT itself is skipped wherever
 * it turns up, so "leakcheck merge out/all.xml out" can run twice.  The
 * merging is report/merge.c's junit_merge().
 */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "leakcheck/report.h"
#include "leakcheck/util.h"

struct inputs {
	char **v;
	size_t n, cap;
	char *out_real; /* realpath of OUT if it exists, else NULL */
};

static void add_input(struct inputs *in, const char *path)
{
	char *real = realpath(path, NULL);
	int skip = real && in->out_real && !strcmp(real, in->out_real);

	/* the same file twice would count its suites twice */
	for (size_t i = 0; real && !skip && i < in->n; i++) {
		char *o = realpath(in->v[i], NULL);
		skip = o && !strcmp(o, real);
		free(o);
	}
	free(real);
	if (skip)
		return;
	in->v = xgrow(in->v, &in->cap, in->n + 2, sizeof(*in->v));
	in->v[in->n++] = xstrdup(path);
	in->v[in->n] = NULL;
}

/* What a directory stands for: its *.xml files, or its *.sarif files
 * when OUT is a .sarif file */
static const char *dir_suffix = ".xml";

static int xml_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name), k = strlen(dir_suffix);
	return n > k && !strcmp(d->d_name + n - k, dir_suffix) &&
	       d->d_name[0] != '.';
}

static void add_dir(struct inputs *in, const char *dir)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, xml_file, alphasort);

	if (n < 0) {
		error("cannot read directory '%s': %s", dir, strerror(errno));
		exit(66);
	}
	for (int i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", dir, ents[i]->d_name);
		struct stat st;
		if (!stat(p, &st) && S_ISREG(st.st_mode))
			add_input(in, p);
		free(p);
		free(ents[i]);
	}
	free(ents);
}

int cmd_merge(int argc, char **argv)
{
	struct inputs in = {0};
	char *err = NULL;
	int code = 0, sarif;

	if (argc == 2 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf(
		    "usage: leakcheck merge OUT.xml IN.xml|DIR|'GLOB'...\n"
		    "       leakcheck merge OUT.sarif "
		    "IN.sarif|DIR|'GLOB'...\n\n"
		    "Combine the JUnit files of --junit (e.g. one per process "
		    "with\n--trace-children=yes --junit=junit.%%p.xml) into "
		    "OUT.xml, or the\nSARIF files of --sarif into one "
		    "OUT.sarif (OUT's name decides).\nA DIR stands for its "
		    "*.xml (or *.sarif) files; OUT is never an input.\nAn "
		    "input larger than 256 MiB, binary, or a FIFO with no "
		    "writer is refused.\n");
		return 0;
	}
	if (argc < 3) {
		error("usage: leakcheck merge OUT.xml IN.xml|DIR|'GLOB'...");
		return 64;
	}
	{
		size_t n = strlen(argv[1]);
		sarif = n > 6 && !strcmp(argv[1] + n - 6, ".sarif");
		if (sarif)
			dir_suffix = ".sarif";
	}
	in.out_real = realpath(argv[1], NULL);
	for (int i = 2; i < argc; i++) {
		struct stat st;
		const char *a = argv[i];
		if (!stat(a, &st)) {
			if (S_ISDIR(st.st_mode))
				add_dir(&in, a);
			else
				add_input(&in, a);
		} else if (strpbrk(a, "*?[")) {
			glob_t g;
			int r = glob(a, 0, NULL, &g);
			if (r == 0)
				for (size_t k = 0; k < g.gl_pathc; k++)
					add_input(&in, g.gl_pathv[k]);
			globfree(&g);
			if (r != 0 && r != GLOB_NOMATCH) {
				error("cannot expand '%s'", a);
				return 66;
			}
		} else {
			error("cannot read '%s': %s", a, strerror(errno));
			return 66;
		}
	}
	if (in.n == 0) {
		error("no %s files to merge in the inputs given",
		      sarif ? "SARIF" : "JUnit");
		code = 66;
	} else if ((sarif ? sarif_merge : junit_merge)(argv[1], in.v, in.n,
						       &err, &code)) {
		error("%s", err);
	}
	for (size_t i = 0; i < in.n; i++)
		free(in.v[i]);
	free(in.v);
	free(in.out_real);
	free(err);
	return code;
}

/*
 * writers: the table of report files (struct report_writer), each entry
 * a format's writer behind one signature.  Adding a format is a file
 * here and an entry below; the tracer does not change.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakcheck/options.h"
#include "leakcheck/report.h"
#include "leakcheck/util.h"

int report_put_file(const char *path, report_put_fn put,
		    const struct report_ctx *rc,
		    const struct report_result *res)
{
	struct outfile o;
	int ret = outfile_open(&o, path, OUTFILE_REPLACE);

	if (ret)
		return ret;
	put(o.f, rc, res);
	return outfile_close(&o);
}

static int w_json(const struct report_ctx *rc, const char *path,
		  const struct report_result *r)
{
	return report_json(rc, path, r->command, r->recs, r->nrec, r->sum);
}

static int w_junit(const struct report_ctx *rc, const char *path,
		   const struct report_result *r)
{
	return report_junit(rc, path, rc->run, r->recs, r->nrec, r->sum);
}

static int w_sarif(const struct report_ctx *rc, const char *path,
		   const struct report_result *r)
{
	return report_sarif(rc, path, rc->run, r->recs, r->nrec);
}

static int w_vgxml(const struct report_ctx *rc, const char *path,
		   const struct report_result *r)
{
	return report_vgxml(rc, path, rc->run, r->recs, r->nrec, r->sum);
}

const struct report_writer report_writers[] = {
    {"json", "JSON", &opt.json_file, w_json},
    {"junit", "JUnit XML", &opt.junit_file, w_junit},
    {"sarif", "SARIF", &opt.sarif_file, w_sarif},
    {"xml", "XML", &opt.xml_file, w_vgxml},
    {NULL, NULL, NULL, NULL},
};

char *report_path(const char *pattern, pid_t pid)
{
	char *out = xstrdup(""), *n;

	for (const char *s = pattern; *s; s++) {
		if (s[0] == '%' && s[1] == 'p') {
			n = xasprintf("%s%d", out, (int)pid);
			s++;
		} else {
			n = xasprintf("%s%c", out, *s);
		}
		free(out);
		out = n;
	}
	return out;
}

void report_write_files(const struct report_ctx *rc, pid_t pid,
			const struct report_result *res)
{
	for (const struct report_writer *w = report_writers; w->name; w++) {
		char *path;
		int ret;
		if (!*w->file)
			continue;
		path = report_path(*w->file, pid);
		ret = w->write(rc, path, res);
		if (ret)
			error("cannot write %s to '%s': %s", w->what, path,
			      strerror(-ret));
		free(path);
	}
}

/*
 * writers: the table of report files (struct report_writer), each entry
 * a format's writer behind one signature.  Adding a format is a file
 * here and an entry below; the tracer does not change.
 */
#include "internal.h"
#include "leakcheck/options.h"
#include "leakcheck/util.h"
#include "leakcheck/report.h"

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

/*
 * sarif_merge: combine SARIF files written by sarif.c (one per process,
 * with --trace-children=yes and --sarif=leaks.%p.sarif) into one log
 * whose "runs" array holds every input's runs, as code scanning wants
 * one upload per analysis.
 *
 * Like merge.c for JUnit, it reads only leakcheck's own layout, not any
 * SARIF: a JSON object whose "version" is "2.1.0", with one "runs": [
 * array that ends the object ("]\n}" at the end, nothing after it but
 * white space).  The runs are copied verbatim, each input's as one item,
 * sorted by their text so the output does not depend on the pids in the
 * input names; its layout is the same, so merged files merge again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakcheck/report.h"
#include "leakcheck/util.h"

#define SARIF_MAX_BYTES (256u << 20)
#define RUNS_KEY "\"runs\": ["

/* Set *ERR (from xasprintf) and *ERRCODE; returns -1. */
static int refused(char **err, int *errcode, int code, char *msg)
{
	*err = msg;
	*errcode = code;
	return -1;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The text of BUF's runs, between "runs": [ and the "]" that closes the
 * object; NULL if BUF is not in sarif.c's layout. */
static char *runs_of(char *buf, size_t len)
{
	char *start = strstr(buf, RUNS_KEY), *end = buf + len;

	if (buf[0] != '{' || !strstr(buf, "\"version\": \"2.1.0\"") || !start)
		return NULL;
	while (end > buf && strchr(" \t\r\n", end[-1]))
		end--;
	if (end - buf < 2 || end[-1] != '}')
		return NULL;
	end--;
	while (end > buf && strchr(" \t\r\n", end[-1]))
		end--;
	if (end[-1] != ']')
		return NULL;
	start += strlen(RUNS_KEY);
	end--;
	if (end < start)
		return NULL;
	while (start < end && strchr(" \t\r\n", *start))
		start++;
	while (end > start && strchr(" \t\r\n", end[-1]))
		end--;
	{
		size_t n = (size_t)(end - start);
		char *r = xmalloc(n + 1);
		memcpy(r, start, n);
		r[n] = 0;
		return r;
	}
}

int sarif_merge(const char *out, char *const *in, size_t n, char **err,
		int *errcode)
{
	char **runs = xcalloc(n + 1, sizeof(*runs));
	size_t nruns = 0;
	struct outfile o;
	int ret = 0;

	*err = NULL;
	for (size_t i = 0; i < n && !ret; i++) {
		char *buf;
		size_t len;
		int r = infile_read(in[i], SARIF_MAX_BYTES, &buf, &len);
		if (r) {
			ret = refused(
			    err, errcode, 66,
			    xasprintf("cannot read '%s': %s", in[i],
				      infile_strerror(r, SARIF_MAX_BYTES)));
			break;
		}
		runs[nruns] = runs_of(buf, len);
		free(buf);
		if (!runs[nruns])
			ret =
			    refused(err, errcode, 65,
				    xasprintf("'%s' is not a SARIF 2.1.0 file "
					      "written by leakcheck --sarif",
					      in[i]));
		else if (*runs[nruns])
			nruns++;
		else
			free(runs[nruns]);
	}
	if (!ret) {
		qsort(runs, nruns, sizeof(*runs), cmp_str);
		ret = outfile_open(&o, out, OUTFILE_REPLACE);
		if (ret) {
			ret = refused(err, errcode, 73,
				      xasprintf("cannot write '%s': %s", out,
						strerror(-ret)));
		} else {
			fputs("{\n  \"version\": \"2.1.0\",\n  \"$schema\": "
			      "\"https://json.schemastore.org/"
			      "sarif-2.1.0.json\",\n"
			      "  " RUNS_KEY,
			      o.f);
			for (size_t i = 0; i < nruns; i++)
				fprintf(o.f, "%s%s", i ? ",\n  " : "", runs[i]);
			fputs("]\n}\n", o.f);
			ret = outfile_close(&o);
			if (ret)
				ret = refused(err, errcode, 73,
					      xasprintf("cannot write '%s': %s",
							out, strerror(-ret)));
		}
	}
	for (size_t i = 0; i < nruns; i++)
		free(runs[i]);
	free(runs);
	return ret;
}

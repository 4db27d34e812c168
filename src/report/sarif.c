/*
 * sarif: the leak check of one process as SARIF 2.1.0, what GitHub code
 * scanning, GitLab and SonarQube importers read.
 *
 *   {"version": "2.1.0", "$schema": ...,
 *    "runs": [{
 *      "tool": {"driver": {"name": "leakcheck", "version", "rules": [
 *          one per leak kind: id "leak/definite" ... "leak/reachable"]}},
 *      "invocations": [{"commandLine", "arguments", "executionSuccessful",
 *                       "properties": {"pid", "parentPid"}}],
 *      "results": [{
 *          "ruleId", "ruleIndex", "level", "message": {"text": the text
 *              report's record line},
 *          "locations": [the first frame in the program's own code],
 *          "stacks": [{"message": "allocation stack", "frames": [...]}],
 *          "partialFingerprints": {"leakcheckRecord/v1": HASH},
 *          "properties": {"kind", "bytes", "blocks", "indirectBytes",
 *                         "indirectBlocks", "name"}}]}]}
 *
 * Results: one per loss record of an --errors-for-leak-kinds kind that is
 * not suppressed, in the text report's order.  Levels: definitely and
 * indirectly lost are errors, possibly lost a warning, still reachable a
 * note.
 *
 * The fingerprint hashes the record's JUnit test name (junit_case_names):
 * kind and frames by function, no address, no record number, so the
 * same leak has the same fingerprint on the next run and on another
 * machine, and code scanning tracks it as one alert.
 *
 * Invariants "leakcheck merge" (merge.c) relies on: the file is one JSON
 * object whose "runs" array holds one run; the merge splices runs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "leakcheck/heap.h"
#include "leakcheck/util.h"

#ifndef LEAKCHECK_VERSION
#define LEAKCHECK_VERSION "unknown"
#endif

static const struct sarif_rule {
	const char *id, *name, *text, *level;
} rules[LEAK_NKINDS] = {
    [LEAK_DEFINITE] = {"leak/definite", "DefinitelyLost",
		       "Memory definitely lost: no pointer to the block "
		       "is left in any root or reachable block",
		       "error"},
    [LEAK_INDIRECT] = {"leak/indirect", "IndirectlyLost",
		       "Memory indirectly lost: pointed to only from "
		       "lost blocks",
		       "error"},
    [LEAK_POSSIBLE] = {"leak/possible", "PossiblyLost",
		       "Memory possibly lost: reached only through a "
		       "pointer into its interior",
		       "warning"},
    [LEAK_REACHABLE] = {"leak/reachable", "StillReachable",
			"Memory still reachable at exit: a chain of "
			"pointers from a root leads to it",
			"note"},
};

/* A source file as an artifact URI: relative to CWD when below it (code
 * scanning resolves those against the checkout), else file:///path. */
static void put_uri(FILE *f, const char *file, const char *cwd)
{
	size_t n = cwd ? strlen(cwd) : 0;
	char *uri;

	if (n > 1 && !strncmp(file, cwd, n) && file[n] == '/' && file[n + 1])
		uri = xstrdup(file + n + 1);
	else if (file[0] == '/')
		uri = xasprintf("file://%s", file);
	else
		uri = xstrdup(file);
	report_json_str(f, uri);
	free(uri);
}

static void put_physical(FILE *f, const char *file, int line, const char *cwd)
{
	fputs("{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ", f);
	put_uri(f, file, cwd);
	fputs("}", f);
	if (line > 0)
		fprintf(f, ", \"region\": {\"startLine\": %d}", line);
	fputs("}}", f);
}

static void put_frames(FILE *f, const struct report_ctx *rc,
		       const struct loss_record *r, const char *cwd)
{
	struct report_frame *fr = NULL;
	size_t nf = report_frames(rc, r, &fr);

	fputs(",\n      \"stacks\": [{\"message\": {\"text\": ", f);
	report_json_str(f, nf ? "allocation stack"
			   : (r->flags & HB_PRE_ATTACH)
			       ? "no stack: allocated before leakcheck "
				 "attached"
			       : "no stack recorded");
	fputs("}, \"frames\": [", f);
	for (size_t j = 0; j < nf; j++) {
		const struct sym_frame *s = &fr[j].f;
		fputs(j ? ",\n        " : "\n        ", f);
		fputs("{\"location\": {", f);
		if (s->file && s->line > 0) {
			fputs("\"physicalLocation\": {\"artifactLocation\": "
			      "{\"uri\": ",
			      f);
			put_uri(f, s->file, cwd);
			fprintf(f, "}, \"region\": {\"startLine\": %d}}, ",
				s->line);
		}
		fputs("\"logicalLocations\": [{\"fullyQualifiedName\": ", f);
		report_json_str(f, s->func ? s->func : "???");
		fputs(", \"kind\": \"function\"}]}", f);
		if (s->module) {
			fputs(", \"module\": ", f);
			report_json_str(f, s->module);
		}
		fprintf(f, ", \"properties\": {\"pc\": \"0x%llx\"}}",
			(unsigned long long)fr[j].pc);
	}
	fputs("]}]", f);
	free(fr);
}

static void put_sarif(FILE *f, const struct report_ctx *rc,
		      const struct report_result *res)
{
	const struct report_run *run = rc->run;
	const struct loss_record *recs = res->recs;
	size_t nrec = res->nrec;
	size_t *idx = xcalloc(nrec + 1, sizeof(*idx)), n = 0;
	struct report_cases cs;
	char **names, *cwd = getcwd(NULL, 0), *cmd;
	const char **files;
	int *lines;

	for (size_t i = 0; i < nrec; i++)
		if (!recs[i].suppressed && recs[i].blocks > 0 &&
		    (rc->error_kinds & (1u << recs[i].kind)))
			idx[n++] = i;
	report_cases_name(&cs, rc, recs, idx, n);
	names = cs.names;
	files = cs.files;
	lines = cs.lines;

	fputs("{\n  \"version\": \"2.1.0\",\n  \"$schema\": "
	      "\"https://json.schemastore.org/sarif-2.1.0.json\",\n"
	      "  \"runs\": [{\n  \"tool\": {\"driver\": {\"name\": "
	      "\"leakcheck\", \"version\": ",
	      f);
	report_json_str(f, LEAKCHECK_VERSION);
	fputs(",\n    \"rules\": [", f);
	for (int k = 0; k < LEAK_NKINDS; k++) {
		fprintf(f,
			"%s\n      {\"id\": \"%s\", \"name\": \"%s\", "
			"\"shortDescription\": {\"text\": ",
			k ? "," : "", rules[k].id, rules[k].name);
		report_json_str(f, rules[k].text);
		fprintf(f, "}, \"defaultConfiguration\": {\"level\": \"%s\"}}",
			rules[k].level);
	}
	fputs("]}},\n  \"invocations\": [{\"executionSuccessful\": true", f);
	cmd = run ? report_argv_join(run->argv) : NULL;
	if (cmd) {
		fputs(", \"commandLine\": ", f);
		report_json_str(f, cmd);
		fputs(", \"arguments\": [", f);
		for (size_t i = 0; run->argv[i]; i++) {
			fputs(i ? ", " : "", f);
			report_json_str(f, run->argv[i]);
		}
		fputs("]", f);
	}
	fprintf(f, ", \"properties\": {\"pid\": %d", (int)rc->pid);
	if (run && run->ppid)
		fprintf(f, ", \"parentPid\": %d", (int)run->ppid);
	fputs("}}],\n  \"results\": [", f);
	for (size_t i = 0; i < n; i++) {
		const struct loss_record *r = &recs[idx[i]];
		char *msg = report_record_message(r), *key;
		fprintf(f,
			"%s\n    {\"ruleId\": \"%s\", \"ruleIndex\": %d, "
			"\"level\": \"%s\",\n      \"message\": {\"text\": ",
			i ? "," : "", rules[r->kind].id, (int)r->kind,
			rules[r->kind].level);
		report_json_str(f, msg);
		fputs("}", f);
		if (files[i]) {
			fputs(",\n      \"locations\": [", f);
			put_physical(f, files[i], lines[i], cwd);
			fputs("]", f);
		}
		put_frames(f, rc, r, cwd);
		key = xasprintf("%s|%s", rules[r->kind].id, names[i]);
		fprintf(f,
			",\n      \"partialFingerprints\": "
			"{\"leakcheckRecord/v1\": \"%016llx\"}",
			(unsigned long long)report_fnv1a(key));
		fprintf(f,
			",\n      \"properties\": {\"kind\": \"%s\", "
			"\"bytes\": %llu, \"blocks\": %llu, "
			"\"indirectBytes\": %llu, \"indirectBlocks\": %llu, "
			"\"name\": ",
			leak_kind_name(r->kind), (unsigned long long)r->bytes,
			(unsigned long long)r->blocks,
			(unsigned long long)r->indirect_bytes,
			(unsigned long long)r->indirect_blocks);
		report_json_str(f, names[i]);
		fputs("}}", f);
		free(key);
		free(msg);
	}
	fputs(n ? "\n  ]\n  }]\n}\n" : "]\n  }]\n}\n", f);
	report_cases_release(&cs);
	free(cmd);
	free(cwd);
}

int report_sarif(const struct report_ctx *rc, const char *path,
		 const struct report_run *run, const struct loss_record *recs,
		 size_t nrec)
{
	struct report_ctx c = *rc;
	struct report_result res = {recs, nrec, NULL, ""};
	c.run = run;
	return report_put_file(path, put_sarif, &c, &res);
}

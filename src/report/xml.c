/*
 * xml: escaping for the XML reporters (junit.c, vgxml.c) and the merge.
 *
 * The output is always well-formed XML 1.0 in UTF-8, whatever bytes the
 * tracee's symbol names, paths and command line hold:
 *   - & < > " ' become &amp; &lt; &gt; &quot; &apos;
 *   - in attribute values, tab, newline and CR become &#9; &#10; &#13;
 *     (a parser normalizes raw ones to spaces)
 *   - characters XML 1.0 does not allow at all, even as references, are
 *     dropped: C0 controls but tab, newline, CR; U+FFFE and U+FFFF
 *   - a byte that does not start a valid UTF-8 sequence (overlong forms,
 *     surrogates and values above U+10FFFF are invalid) becomes U+FFFD,
 *     and decoding goes on at the next byte
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakcheck/depot.h"
#include "leakcheck/report.h"
#include "leakcheck/sym.h"
#include "leakcheck/util.h"

struct sbuf {
	char *s;
	size_t len, cap;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	b->s = xgrow(b->s, &b->cap, b->len + n + 1, 1);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

char *
xml_escape(const char *s, int attr)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	struct sbuf b = {0};

	sb_add(&b, "", 0);
	while (*p) {
		uint32_t cp;
		size_t n = utf8_seq(p, &cp);
		const char *rep = NULL;

		if (n == 0) {
			sb_add(&b, "\xef\xbf\xbd", 3); /* U+FFFD */
			p++;
			continue;
		}
		switch (cp) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		case '\t':
			rep = attr ? "&#9;" : "\t";
			break;
		case '\n':
			rep = attr ? "&#10;" : "\n";
			break;
		case '\r':
			rep = "&#13;"; /* a raw CR would become a newline */
			break;
		case 0xfffe:
		case 0xffff:
			rep = "";
			break;
		default:
			if (cp < 0x20)
				rep = "";
			break;
		}
		if (rep)
			sb_add(&b, rep, strlen(rep));
		else
			sb_add(&b, (const char *)p, n);
		p += n;
	}
	return b.s;
}

void
xml_put(FILE *f, const char *s, int attr)
{
	char *e = xml_escape(s, attr);
	fputs(e, f);
	free(e);
}

/* memcheck's VG_(get_fnname_kind), as text.c applies it. */
static int
fn_main(const char *name)
{
	return name && !strcmp(name, "main");
}

static int
fn_below_main(const char *name)
{
	static const char *const below[] = {
	    "__libc_start_main", "__libc_start_main_impl",
	    "__libc_start_call_main", "generic_start_main"};
	if (!name)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(below); i++)
		if (!strcmp(name, below[i]))
			return 1;
	return 0;
}

size_t
report_frames(const struct report_ctx *rc, const struct loss_record *r,
	      struct report_frame **out)
{
	const taddr_t *pcs = NULL;
	unsigned n = 0;
	size_t nf = 0, cap = 0;
	struct report_frame *v = NULL;

	if (rc->depot)
		pcs = stack_depot_get(rc->depot, r->stack_id, &n);
	if (!pcs)
		n = 0;
	if (rc->num_callers && rc->num_callers < n)
		n = rc->num_callers;
	for (unsigned i = 0; i < n; i++) {
		struct sym_frame fr[REPORT_MAX_INLINE];
		int k = 0, stop;
		if (rc->sym)
			k = rc->sym(rc->sym_ctx, pcs[i], i > 0, fr,
				    REPORT_MAX_INLINE);
		if (k <= 0) {
			memset(fr, 0, sizeof(fr[0]));
			fr[0].pc = pcs[i];
			k = 1;
		}
		if (k > REPORT_MAX_INLINE)
			k = REPORT_MAX_INLINE;
		/* the real (outermost) function decides */
		stop = fn_main(fr[k - 1].func) || fn_below_main(fr[k - 1].func);
		if (fn_below_main(fr[k - 1].func))
			fr[k - 1].func = "(below main)";
		v = xgrow(v, &cap, nf + (size_t)k, sizeof(*v));
		for (int j = 0; j < k; j++) {
			v[nf].pc = pcs[i];
			v[nf].depth = i;
			v[nf].f = fr[j];
			nf++;
		}
		if (stop)
			break;
	}
	*out = v;
	return nf;
}

const char *
report_base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;
	return s ? s + 1 : path;
}

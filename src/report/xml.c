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

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	b->s = xgrow(b->s, &b->cap, b->len + n + 1, 1);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

char *xml_escape(const char *s, int attr)
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

void xml_put(FILE *f, const char *s, int attr)
{
	char *e = xml_escape(s, attr);
	fputs(e, f);
	free(e);
}

const char *report_base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;
	return s ? s + 1 : path;
}

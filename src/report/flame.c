/*
 * flame: folded stacks (flamegraph.pl's input) and a self-contained,
 * interactive SVG flame graph, both from the same samples as the pprof
 * profile (profile.c: grouped by stack and kind, weighted for sampling,
 * the allocator's own frame dropped).
 *
 * Folded: one line per (kind, stack), root first, the leak kind as the
 * root frame: "definite;main;make_list;xmalloc 4096".  All lines together
 * are the live heap; the lines of definite, indirect and possible are the
 * leaked bytes (grep -v '^reachable;').  Unclassified snapshots use the
 * root frame "live".  An inlined call is a frame of its own.
 *
 * SVG: two graphs in one file, root at the bottom, frames sorted by name
 * (flamegraph.pl's layout): "leaked" (root "leaked", then one frame per
 * kind, then the stacks) above "live" (root "live", then the stacks).
 * Frame width is bytes.  The embedded script zooms on click (a frame
 * becomes full width, its ancestors span the graph), shows name, bytes
 * and share on hover (and every frame has a <title> tooltip), and
 * highlights the frames matching a search.  Every text is XML-escaped.
 *
 * Invariants: a node's value is the sum of the samples whose path goes
 * through it, so children never exceed their parent; each node's
 * children have distinct names.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "leakcheck/util.h"

#define FG_WIDTH 1200
#define FG_PAD 10
#define FG_ROW 17
#define FG_MIN_PX 0.05 /* narrower frames are left out */

/* Folded-stack path of one group: names root first, into a list. */
struct path {
	char **v;
	size_t n, cap;
};

static void path_push(struct path *p, const char *s)
{
	p->v = xgrow(p->v, &p->cap, p->n + 1, sizeof(*p->v));
	p->v[p->n++] = xstrdup(s);
}

static void path_clear(struct path *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	p->n = 0;
}

/* The frames of stack ID, root first, appended to P. */
static void stack_path(const struct profile_data *d, uint32_t id,
		       struct path *p)
{
	unsigned n, first;
	const taddr_t *pcs = pf_stack(d, id, &n, &first);
	char buf[1024];

	for (unsigned i = n; i-- > first;) {
		struct sym_frame fr[PF_MAX_INLINE];
		int nf = pf_lookup(d, pcs[i], i > 0, fr, PF_MAX_INLINE);

		for (int j = nf; j-- > 0;)
			path_push(p, pf_frame_name(&fr[j], buf, sizeof(buf)));
	}
}

static const char *kind_frame(uint8_t kind)
{
	return kind < LEAK_NKINDS ? leak_kind_name(kind) : "live";
}

static uint64_t round_u(double v)
{
	return v <= 0 ? 0 : (uint64_t)(v + 0.5);
}

int profile_write_folded(const struct profile_data *d, FILE *f)
{
	size_t ng;
	struct pf_group *g = pf_groups(d, &ng);
	struct path p = {0};

	for (size_t i = 0; i < ng; i++) {
		uint64_t bytes = round_u(g[i].bytes);

		if (!bytes)
			continue;
		path_clear(&p);
		stack_path(d, g[i].stack_id, &p);
		fputs(kind_frame(g[i].kind), f);
		for (size_t j = 0; j < p.n; j++)
			fprintf(f, ";%s", p.v[j]);
		fprintf(f, " %llu\n", (unsigned long long)bytes);
	}
	path_clear(&p);
	free(p.v);
	free(g);
	return ferror(f) ? -EIO : 0;
}

/* The flame graph's tree: nodes in one array, children as lists. */
struct node {
	char *name;
	double value;
	size_t first, next; /* child list; 0 ends (node 0 is the root) */
};

struct tree {
	struct node *v;
	size_t n, cap;
	unsigned depth; /* deepest node's depth */
};

static size_t tree_child(struct tree *t, size_t parent, const char *name)
{
	size_t c;

	for (c = t->v[parent].first; c; c = t->v[c].next)
		if (!strcmp(t->v[c].name, name))
			return c;
	t->v = xgrow(t->v, &t->cap, t->n + 1, sizeof(*t->v));
	c = t->n++;
	t->v[c].name = xstrdup(name);
	t->v[c].value = 0;
	t->v[c].first = 0;
	t->v[c].next = t->v[parent].first;
	t->v[parent].first = c;
	return c;
}

static void tree_init(struct tree *t, const char *root)
{
	memset(t, 0, sizeof(*t));
	t->v = xgrow(NULL, &t->cap, 1, sizeof(*t->v));
	memset(&t->v[0], 0, sizeof(t->v[0]));
	t->v[0].name = xstrdup(root);
	t->n = 1;
}

static void tree_add(struct tree *t, const char *const *names, size_t n,
		     double value)
{
	size_t at = 0;

	t->v[0].value += value;
	for (size_t i = 0; i < n; i++) {
		at = tree_child(t, at, names[i]);
		t->v[at].value += value;
	}
	if (n > t->depth)
		t->depth = (unsigned)n;
}

static void tree_release(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
}

static unsigned name_hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* flamegraph.pl's "hot" palette, from the name so it is stable; the kind
 * frames get the colours of their gravity. */
static void frame_color(const char *name, unsigned depth, int leaked, char *buf,
			size_t len)
{
	static const struct {
		const char *name;
		const char *rgb;
	} kinds[] = {
	    {"definite", "rgb(220,60,60)"},
	    {"indirect", "rgb(235,130,60)"},
	    {"possible", "rgb(230,200,60)"},
	    {"reachable", "rgb(120,190,110)"},
	};
	unsigned h = name_hash(name);

	if (depth == 0) {
		snprintf(buf, len, "rgb(200,200,200)");
		return;
	}
	if (leaked && depth == 1) {
		for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
			if (!strcmp(name, kinds[i].name)) {
				snprintf(buf, len, "%s", kinds[i].rgb);
				return;
			}
		}
	}
	snprintf(buf, len, "rgb(%u,%u,%u)", 205 + (h & 0xff) * 50 / 255,
		 ((h >> 8) & 0xff) * 230 / 255, ((h >> 16) & 0xff) * 55 / 255);
}

static int cmp_child(const void *a, const void *b)
{
	const struct node *x = *(const struct node *const *)a;
	const struct node *y = *(const struct node *const *)b;

	return strcmp(x->name, y->name);
}

struct graph {
	struct tree *t;
	int id;	      /* data-g */
	int leaked;   /* the leaked graph: kind frames at depth 1 */
	double top;   /* y of the deepest row */
	double scale; /* pixels per byte */
	double total;
};

static void draw_node(FILE *f, const struct graph *g, size_t i, unsigned depth,
		      double x)
{
	struct node *nd = &g->t->v[i];
	double w = nd->value * g->scale;
	double y = g->top + (double)(g->t->depth - depth) * FG_ROW;
	char color[32], bytes[32];
	struct node **kids;
	size_t nk = 0;
	int chars;

	if (w < FG_MIN_PX)
		return;
	frame_color(nd->name, depth, g->leaked, color, sizeof(color));
	fprintf(f,
		"<g class=\"f\" data-g=\"%d\" data-x=\"%.2f\" "
		"data-w=\"%.2f\" data-d=\"%u\" data-n=\"",
		g->id, x, w, depth);
	xml_put(f, nd->name, 1);
	fprintf(f, "\"><title>");
	xml_put(f, nd->name, 1);
	fprintf(f, " (%s bytes, %.2f%%)</title>",
		fmt_thousands(bytes, round_u(nd->value)),
		g->total > 0 ? 100.0 * nd->value / g->total : 0.0);
	fprintf(f,
		"<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" "
		"fill=\"%s\" rx=\"2\"/>",
		x, y, w, FG_ROW - 1, color);
	fprintf(f, "<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + 12);
	chars = (int)((w - 6) / 7);
	if (chars >= 3) {
		if ((size_t)chars >= strlen(nd->name)) {
			xml_put(f, nd->name, 1);
		} else {
			char *cut = xasprintf("%.*s..", chars - 2, nd->name);
			xml_put(f, cut, 1);
			free(cut);
		}
	}
	fprintf(f, "</text></g>\n");

	for (size_t c = nd->first; c; c = g->t->v[c].next)
		nk++;
	kids = xmalloc((nk + 1) * sizeof(*kids));
	nk = 0;
	for (size_t c = nd->first; c; c = g->t->v[c].next)
		kids[nk++] = &g->t->v[c];
	qsort(kids, nk, sizeof(*kids), cmp_child);
	for (size_t k = 0; k < nk; k++) {
		draw_node(f, g, (size_t)(kids[k] - g->t->v), depth + 1, x);
		x += kids[k]->value * g->scale;
	}
	free(kids);
}

static const char fg_script[] =
    "function fr(g){return "
    "document.querySelectorAll('g.f[data-g=\"'+g+'\"]');}\n"
    "function num(e,a){return parseFloat(e.getAttribute(a));}\n"
    "function label(e,w){var "
    "n=e.getAttribute('data-n'),c=Math.floor((w-6)/7);\n"
    " e.querySelector('text').textContent=c<3?'':(n.length<=c?n:n.substr(0,c-2)"
    "+'..');}\n"
    "function place(e,x,w){var "
    "r=e.querySelector('rect'),t=e.querySelector('text');\n"
    " r.setAttribute('x',x);r.setAttribute('width',w);t.setAttribute('x',x+3);"
    "label(e,w);}\n"
    "function zoom(z){var "
    "g=z.getAttribute('data-g'),x=num(z,'data-x'),w=num(z,'data-w'),\n"
    " d=num(z,'data-d'),s=(W-2*P)/w,e=1e-3;\n"
    " fr(g).forEach(function(f){var "
    "fx=num(f,'data-x'),fw=num(f,'data-w'),fd=num(f,'data-d');\n"
    "  "
    "if(fd<d&&fx<=x+e&&fx+fw>=x+w-e){f.style.display='';f.style.opacity=0.6;"
    "place(f,P,W-2*P);}\n"
    "  else "
    "if(fd>=d&&fx>=x-e&&fx+fw<=x+w+e){f.style.display='';f.style.opacity=1;"
    "place(f,P+(fx-x)*s,fw*s);}\n"
    "  else f.style.display='none';});}\n"
    "function "
    "reset(g){fr(g).forEach(function(f){if(num(f,'data-d')==0)zoom(f);});}\n"
    "document.addEventListener('click',function(ev){var t=ev.target;\n"
    " if(t.getAttribute&&t.getAttribute('data-reset')!=null){reset(t."
    "getAttribute('data-reset'));return;}\n"
    " if(t.id=='search'){search();return;}\n"
    " var f=t.closest?t.closest('g.f'):null;if(f)zoom(f);});\n"
    "document.addEventListener('mouseover',function(ev){var "
    "f=ev.target.closest?ev.target.closest('g.f'):null;\n"
    " if(f)document.getElementById('details').textContent=f.querySelector('"
    "title').textContent;});\n"
    "function search(){var q=prompt('Search frames (regular "
    "expression):','');if(q==null)return;\n"
    " var re=q?new "
    "RegExp(q):null;document.querySelectorAll('g.f').forEach(function(f){\n"
    "  var "
    "r=f.querySelector('rect');if(!r.getAttribute('data-fill'))r.setAttribute('"
    "data-fill',r.getAttribute('fill'));\n"
    "  "
    "r.setAttribute('fill',re&&re.test(f.getAttribute('data-n'))?'rgb(230,0,"
    "230)':r.getAttribute('data-fill'));});}\n";

static double graph_height(const struct tree *t)
{
	return (double)(t->depth + 1) * FG_ROW;
}

static void draw_graph(FILE *f, struct graph *g, double y, const char *heading)
{
	char b[32];

	fprintf(f, "<text class=\"h\" x=\"%d\" y=\"%.1f\">", FG_PAD, y + 14);
	xml_put(f, heading, 1);
	fprintf(f, ": %s bytes</text>\n", fmt_thousands(b, round_u(g->total)));
	fprintf(f,
		"<text class=\"b\" x=\"%d\" y=\"%.1f\" "
		"data-reset=\"%d\" text-anchor=\"end\">Reset zoom</text>\n",
		FG_WIDTH - FG_PAD, y + 14, g->id);
	g->top = y + 24;
	if (g->total > 0)
		draw_node(f, g, 0, 0, FG_PAD);
	else
		fprintf(f, "<text x=\"%d\" y=\"%.1f\">none</text>\n", FG_PAD,
			y + 36);
}

int profile_write_flamegraph(const struct profile_data *d, FILE *f,
			     const char *title)
{
	size_t ng;
	struct pf_group *g = pf_groups(d, &ng);
	struct tree leaked, live;
	struct graph gl = {0}, gv = {0};
	struct path p = {0};
	double h1, h2, height;

	tree_init(&leaked, "leaked");
	tree_init(&live, "live");
	for (size_t i = 0; i < ng; i++) {
		path_clear(&p);
		path_push(&p, kind_frame(g[i].kind));
		stack_path(d, g[i].stack_id, &p);
		if (g[i].kind < LEAK_REACHABLE)
			tree_add(&leaked, (const char *const *)p.v, p.n,
				 g[i].bytes);
		tree_add(&live, (const char *const *)p.v + 1, p.n - 1,
			 g[i].bytes);
	}
	path_clear(&p);
	free(p.v);
	free(g);

	gl.t = &leaked;
	gl.id = 0;
	gl.leaked = 1;
	gl.total = leaked.v[0].value;
	gl.scale = gl.total > 0 ? (FG_WIDTH - 2 * FG_PAD) / gl.total : 0;
	gv.t = &live;
	gv.id = 1;
	gv.total = live.v[0].value;
	gv.scale = gv.total > 0 ? (FG_WIDTH - 2 * FG_PAD) / gv.total : 0;
	h1 = 24 + (gl.total > 0 ? graph_height(&leaked) : FG_ROW * 2);
	h2 = 24 + (gv.total > 0 ? graph_height(&live) : FG_ROW * 2);
	height = 40 + h1 + 20 + h2 + 30;

	fprintf(
	    f,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
	    "<svg version=\"1.1\" width=\"%d\" height=\"%.0f\" "
	    "viewBox=\"0 0 %d %.0f\" xmlns=\"http://www.w3.org/2000/svg\">\n",
	    FG_WIDTH, height, FG_WIDTH, height);
	fprintf(
	    f, "<style>text{font-family:monospace;font-size:12px;fill:#000}"
	       "text.t{font-size:16px;font-weight:bold}"
	       "text.h{font-size:14px;font-weight:bold}"
	       "text.b{cursor:pointer;fill:#036}"
	       "g.f{cursor:pointer}g.f:hover rect{stroke:#000;stroke-width:0.5}"
	       "</style>\n");
	fprintf(f,
		"<script type=\"text/ecmascript\"><![CDATA[\n"
		"var W=%d,P=%d;\n%s]]></script>\n",
		FG_WIDTH, FG_PAD, fg_script);
	fprintf(f,
		"<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%.0f\" "
		"fill=\"#f8f8f0\"/>\n",
		FG_WIDTH, height);
	fprintf(f, "<text class=\"t\" x=\"%d\" y=\"24\">", FG_PAD);
	xml_put(f, title ? title : "leakcheck heap", 1);
	fprintf(f,
		"</text>\n<text class=\"b\" id=\"search\" x=\"%d\" y=\"24\" "
		"text-anchor=\"end\">Search</text>\n",
		FG_WIDTH - FG_PAD);
	if (d->classified)
		draw_graph(f, &gl, 40, "Leaked (definite, indirect, possible)");
	else
		fprintf(f,
			"<text class=\"h\" x=\"%d\" y=\"54\">Leaked: "
			"unknown, not scanned (a snapshot, or the process was "
			"killed)</text>\n",
			FG_PAD);
	draw_graph(f, &gv, 40 + h1 + 20, "Live heap");
	fprintf(f, "<text id=\"details\" x=\"%d\" y=\"%.0f\"> </text>\n",
		FG_PAD, height - 10);
	fprintf(f, "</svg>\n");
	tree_release(&leaked);
	tree_release(&live);
	return ferror(f) ? -EIO : 0;
}

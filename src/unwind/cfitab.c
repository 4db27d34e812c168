/*
 * cfitab: compact unwind tables from DWARF CFI (include/leakcheck/cfitab.h).
 *
 * cfitab_parse runs each FDE's CFA program (after its CIE's initial
 * instructions) and emits one row per address range over which the
 * three things a walk needs stay the same: the CFA rule, the return
 * address rule (which must be "at CFA - 8"), and the rbp rule.  Every
 * other register's rule is ignored, except rsp's: a rule for rsp (the
 * caller's sp is not the CFA) makes the row a fallback, as does a CFA
 * from a register other than rsp and rbp or from an expression, a CIE
 * with the 'S' (signal frame) augmentation, and anything the parser does
 * not know.  An undefined return address or rbp ends the walk there
 * (libunwind's x86-64 step ends the stack on either).  Rows equal to the
 * one before are merged; the end of an FDE gets a CFI_NONE row unless
 * another FDE starts there.
 *
 * The parser reads only inside the section it is given: each read is
 * checked, and a malformed entry ends the parse (its rows so far stay).
 *
 * cfitab_proc builds a process's blob: its executable file mappings (from
 * /proc/PID/maps), each with its file's rows (parsed once per file and
 * kept) and its load bias.  Invariants: the blob's modules are sorted
 * and do not overlap; row offsets are 4-aligned.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakcheck/cfitab.h"
#include "leakcheck/types.h"
#include "leakcheck/util.h"

enum {
	REG_RBP = 6,
	REG_RSP = 7,
	REG_RA = 16,
	CFI_STACK = 16, /* remember_state depth */
};

/* ---- reading the section ---- */

struct rd {
	const unsigned char *p, *end;
	bool bad;
};

static uint64_t rd_u(struct rd *r, unsigned n)
{
	uint64_t v = 0;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

static uint64_t rd_uleb(struct rd *r)
{
	uint64_t v = 0;
	unsigned shift = 0;

	while (!r->bad) {
		unsigned char b;
		if (r->p >= r->end) {
			r->bad = true;
			break;
		}
		b = *r->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	return v;
}

static int64_t rd_sleb(struct rd *r)
{
	uint64_t v = 0;
	unsigned shift = 0;
	unsigned char b = 0;

	while (!r->bad) {
		if (r->p >= r->end) {
			r->bad = true;
			return 0;
		}
		b = *r->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	if (shift < 64 && (b & 0x40))
		v |= ~(uint64_t)0 << shift;
	return (int64_t)v;
}

/*
 * A pointer in encoding ENC (DW_EH_PE_*) at R; BASE is the section's
 * vaddr minus its start in memory, for pc-relative ones.  Sets r->bad on
 * an encoding we do not take (datarel, textrel, funcrel, indirect: none
 * appears in x86-64 .eh_frame for code addresses).
 */
static uint64_t rd_ptr(struct rd *r, unsigned enc, uint64_t sec_addr,
		       const unsigned char *sec)
{
	uint64_t at = sec_addr + (uint64_t)(r->p - sec), v;

	if (enc == 0xff) { /* omit */
		r->bad = true;
		return 0;
	}
	switch (enc & 0x0f) {
	case 0x00:
		v = rd_u(r, 8);
		break;
	case 0x01:
		v = rd_uleb(r);
		break;
	case 0x02:
		v = rd_u(r, 2);
		break;
	case 0x03:
		v = rd_u(r, 4);
		break;
	case 0x04:
		v = rd_u(r, 8);
		break;
	case 0x09:
		v = (uint64_t)rd_sleb(r);
		break;
	case 0x0a:
		v = (uint64_t)(int64_t)(int16_t)rd_u(r, 2);
		break;
	case 0x0b:
		v = (uint64_t)(int64_t)(int32_t)rd_u(r, 4);
		break;
	case 0x0c:
		v = rd_u(r, 8);
		break;
	default:
		r->bad = true;
		return 0;
	}
	switch (enc & 0x70) {
	case 0x00:
		break;
	case 0x10:
		v += at;
		break;
	default:
		r->bad = true;
		return 0;
	}
	if (enc & 0x80)
		r->bad = true;
	return v;
}

/* ---- the rules ---- */

enum rule {
	R_SAME,	 /* unchanged (also: no rule yet) */
	R_AT,	 /* saved at CFA + off */
	R_UNDEF, /* undefined */
	R_OTHER, /* anything else: register, expression, val_* */
};

struct state {
	unsigned cfa_reg; /* REG_RSP, REG_RBP, or another (fallback) */
	int64_t cfa_off;
	bool cfa_expr;
	enum rule rbp, ra, rsp;
	int64_t rbp_off, ra_off;
};

struct cie {
	uint64_t code_align;
	int64_t data_align;
	unsigned fde_enc;
	bool aug_z, signal, bad;
	const unsigned char *insns, *insns_end;
};

struct rows {
	struct cfitab_row *v;
	size_t n, cap;
	size_t first;  /* the FDE being run: its first row */
	bool fallback; /* ... cannot be described at all */
};

static void row_of(const struct state *s, bool fallback, struct cfitab_row *r)
{
	memset(r, 0, sizeof(*r));
	if (fallback || s->cfa_expr || s->rsp != R_SAME ||
	    (s->cfa_reg != REG_RSP && s->cfa_reg != REG_RBP) ||
	    s->rbp == R_OTHER || s->ra == R_OTHER ||
	    (s->ra == R_AT && s->ra_off != -8) || s->ra == R_SAME ||
	    s->cfa_off != (int32_t)s->cfa_off ||
	    (s->rbp == R_AT && s->rbp_off != (int16_t)s->rbp_off)) {
		r->kind = CFI_FALLBACK;
		if (s->ra == R_UNDEF || s->rbp == R_UNDEF)
			r->kind = CFI_END;
		return;
	}
	if (s->ra == R_UNDEF || s->rbp == R_UNDEF) {
		r->kind = CFI_END;
		return;
	}
	r->kind = s->cfa_reg == REG_RSP ? CFI_SP : CFI_BP;
	r->cfa_off = (int32_t)s->cfa_off;
	if (s->rbp == R_AT) {
		r->rbp = CFI_RBP_AT;
		r->rbp_off = (int16_t)s->rbp_off;
	}
}

/* A row for [ADDR, ...) with state S, merged into the one before. */
static bool row_same(const struct cfitab_row *a, const struct cfitab_row *b)
{
	return a->kind == b->kind && a->cfa_off == b->cfa_off &&
	       a->rbp == b->rbp && a->rbp_off == b->rbp_off;
}

/* A row for [ADDR, ...) with state S, merged into the FDE's row before
 * it if that says the same. */
static void emit(struct rows *rs, uint64_t addr, const struct state *s)
{
	struct cfitab_row r;

	if (addr > 0xffffffffu)
		return;
	row_of(s, rs->fallback, &r);
	r.addr = (uint32_t)addr;
	if (rs->n > rs->first && row_same(&rs->v[rs->n - 1], &r))
		return;
	rs->v = xgrow(rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v));
	rs->v[rs->n++] = r;
}

static void set_rule(struct state *s, uint64_t reg, enum rule rule, int64_t off)
{
	switch (reg) {
	case REG_RBP:
		s->rbp = rule, s->rbp_off = off;
		break;
	case REG_RA:
		s->ra = rule, s->ra_off = off;
		break;
	case REG_RSP:
		s->rsp = rule;
		break;
	default:
		break;
	}
}

static void restore_rule(struct state *s, const struct state *init,
			 uint64_t reg)
{
	switch (reg) {
	case REG_RBP:
		s->rbp = init->rbp, s->rbp_off = init->rbp_off;
		break;
	case REG_RA:
		s->ra = init->ra, s->ra_off = init->ra_off;
		break;
	case REG_RSP:
		s->rsp = init->rsp;
		break;
	default:
		break;
	}
}

/*
 * Runs the CFA program [P, END) from *S.  With RS NULL (a CIE's initial
 * instructions) nothing is emitted; else rows from *LOC up to LIMIT.
 * INIT is the state after the CIE's instructions (DW_CFA_restore).
 * Returns false on what it cannot follow (the caller makes the rest of
 * the FDE a fallback).
 */
static bool run_cfa(const unsigned char *p, const unsigned char *end,
		    const struct cie *c, struct state *s,
		    const struct state *init, struct rows *rs, uint64_t *loc,
		    uint64_t limit, uint64_t sec_addr, const unsigned char *sec)
{
	struct rd r = {p, end, false};
	struct state stack[CFI_STACK];
	int depth = 0;

	while (r.p < r.end && !r.bad) {
		unsigned op = *r.p++, low = op & 0x3f;
		uint64_t reg, adv = 0;
		int64_t off;

		switch (op & 0xc0) {
		case 0x40: /* advance_loc */
			adv = low * c->code_align;
			goto advance;
		case 0x80: /* offset */
			off = (int64_t)rd_uleb(&r) * c->data_align;
			set_rule(s, low, R_AT, off);
			continue;
		case 0xc0: /* restore */
			if (!init)
				return false;
			restore_rule(s, init, low);
			continue;
		default:
			break;
		}
		switch (op) {
		case 0x00: /* nop */
			continue;
		case 0x01: /* set_loc */
			reg = rd_ptr(&r, c->fde_enc, sec_addr, sec);
			if (r.bad || !rs || reg < *loc)
				return false;
			adv = reg - *loc;
			goto advance;
		case 0x02:
			adv = rd_u(&r, 1) * c->code_align;
			goto advance;
		case 0x03:
			adv = rd_u(&r, 2) * c->code_align;
			goto advance;
		case 0x04:
			adv = rd_u(&r, 4) * c->code_align;
			goto advance;
		case 0x05: /* offset_extended */
			reg = rd_uleb(&r);
			off = (int64_t)rd_uleb(&r) * c->data_align;
			set_rule(s, reg, R_AT, off);
			continue;
		case 0x06: /* restore_extended */
			reg = rd_uleb(&r);
			if (!init)
				return false;
			restore_rule(s, init, reg);
			continue;
		case 0x07: /* undefined */
			set_rule(s, rd_uleb(&r), R_UNDEF, 0);
			continue;
		case 0x08: /* same_value */
			set_rule(s, rd_uleb(&r), R_SAME, 0);
			continue;
		case 0x09: /* register */
			reg = rd_uleb(&r);
			rd_uleb(&r);
			set_rule(s, reg, R_OTHER, 0);
			continue;
		case 0x0a: /* remember_state */
			if (depth == CFI_STACK)
				return false;
			stack[depth++] = *s;
			continue;
		case 0x0b: /* restore_state: the register rules and the
			    * CFA rule alike, as libgcc and libunwind do */
			if (!depth)
				return false;
			*s = stack[--depth];
			continue;
		case 0x0c: /* def_cfa */
			s->cfa_reg = (unsigned)rd_uleb(&r);
			s->cfa_off = (int64_t)rd_uleb(&r);
			s->cfa_expr = false;
			continue;
		case 0x0d: /* def_cfa_register */
			s->cfa_reg = (unsigned)rd_uleb(&r);
			s->cfa_expr = false;
			continue;
		case 0x0e: /* def_cfa_offset */
			s->cfa_off = (int64_t)rd_uleb(&r);
			continue;
		case 0x0f: /* def_cfa_expression */
			return false;
		case 0x10: /* expression */
		case 0x16: /* val_expression */
			reg = rd_uleb(&r);
			off = (int64_t)rd_uleb(&r);
			if (r.bad || (uint64_t)off > (uint64_t)(r.end - r.p))
				return false;
			r.p += off;
			set_rule(s, reg, R_OTHER, 0);
			continue;
		case 0x11: /* offset_extended_sf */
			reg = rd_uleb(&r);
			off = rd_sleb(&r) * c->data_align;
			set_rule(s, reg, R_AT, off);
			continue;
		case 0x12: /* def_cfa_sf */
			s->cfa_reg = (unsigned)rd_uleb(&r);
			s->cfa_off = rd_sleb(&r) * c->data_align;
			s->cfa_expr = false;
			continue;
		case 0x13: /* def_cfa_offset_sf */
			s->cfa_off = rd_sleb(&r) * c->data_align;
			continue;
		case 0x14: /* val_offset */
			reg = rd_uleb(&r);
			rd_uleb(&r);
			set_rule(s, reg, R_OTHER, 0);
			continue;
		case 0x15: /* val_offset_sf */
			reg = rd_uleb(&r);
			rd_sleb(&r);
			set_rule(s, reg, R_OTHER, 0);
			continue;
		case 0x2e: /* GNU_args_size: only for landing pads */
			rd_uleb(&r);
			continue;
		case 0x2f: /* GNU_negative_offset_extended */
			reg = rd_uleb(&r);
			off = -(int64_t)rd_uleb(&r) * c->data_align;
			set_rule(s, reg, R_AT, off);
			continue;
		default:
			return false;
		}
	advance:
		if (!rs)
			return false; /* no advance in a CIE */
		if (adv) {
			emit(rs, *loc, s);
			*loc += adv;
			if (*loc >= limit)
				return true;
		}
	}
	return !r.bad;
}

/* ---- the section ---- */

static bool parse_cie(const unsigned char *p, const unsigned char *end, bool eh,
		      uint64_t sec_addr, const unsigned char *sec,
		      struct cie *c, struct state *init)
{
	struct rd r = {p, end, false};
	const char *aug;
	unsigned version;

	memset(c, 0, sizeof(*c));
	memset(init, 0, sizeof(*init));
	init->cfa_reg = REG_RSP;
	version = (unsigned)rd_u(&r, 1);
	if (r.bad || (version != 1 && version != 3 && version != 4))
		return false;
	aug = (const char *)r.p;
	while (r.p < r.end && *r.p)
		r.p++;
	if (r.p >= r.end)
		return false;
	r.p++;
	if (version == 4) {
		if (rd_u(&r, 1) != 8 || rd_u(&r, 1) != 0)
			return false; /* address size, segment size */
	}
	if (aug[0] == 'e' && aug[1] == 'h')
		return false;
	c->code_align = rd_uleb(&r);
	c->data_align = rd_sleb(&r);
	if ((version == 1 ? rd_u(&r, 1) : rd_uleb(&r)) != REG_RA)
		return false;
	c->fde_enc = 0x00; /* absptr, unless 'R' says otherwise */
	if (aug[0] == 'z') {
		uint64_t n = rd_uleb(&r);
		const unsigned char *aug_end;
		if (r.bad || n > (uint64_t)(r.end - r.p))
			return false;
		aug_end = r.p + n;
		c->aug_z = true;
		for (const char *a = aug + 1; *a; a++) {
			switch (*a) {
			case 'R':
				c->fde_enc = (unsigned)rd_u(&r, 1);
				break;
			case 'L':
				rd_u(&r, 1);
				break;
			case 'P':
				/* the personality routine: skipped (its
				 * indirection is not followed) */
				rd_ptr(&r, (unsigned)rd_u(&r, 1) & 0x7f,
				       sec_addr, sec);
				break;
			case 'S':
				c->signal = true;
				break;
			default:
				/* others (B, G) have no data here */
				break;
			}
		}
		if (r.bad)
			return false;
		r.p = aug_end;
	} else if (aug[0]) {
		return false;
	}
	if (r.bad)
		return false;
	c->insns = r.p;
	c->insns_end = end;
	return run_cfa(c->insns, c->insns_end, c, init, NULL, NULL, NULL, 0,
		       sec_addr, sec);
}

/* An FDE's rows in their own list, then into the whole: sorted later. */
struct fde_rows {
	uint64_t start, end;
	size_t first, n; /* in the pool */
};

static int cmp_fde(const void *a, const void *b)
{
	const struct fde_rows *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

size_t cfitab_parse(const unsigned char *sec, size_t len, uint64_t addr, int eh,
		    struct cfitab_row **out)
{
	struct rows pool = {0}, all = {0};
	struct fde_rows *fdes = NULL;
	size_t nfdes = 0, cap_fdes = 0;
	const unsigned char *p = sec, *end = sec + len;

	*out = NULL;
	while ((size_t)(end - p) >= 4) {
		struct rd r = {p, end, false};
		const unsigned char *entry_end, *id_at;
		uint64_t length, id;
		bool is64 = false;

		length = rd_u(&r, 4);
		if (length == 0) {
			if (eh)
				break; /* the terminator */
			p = r.p;
			continue;
		}
		if (length == 0xffffffffu) {
			length = rd_u(&r, 8);
			is64 = true;
		}
		if (r.bad || length > (uint64_t)(end - r.p))
			break;
		entry_end = r.p + length;
		id_at = r.p;
		id = rd_u(&r, is64 ? 8 : 4);
		r.end = entry_end;
		p = entry_end;
		if (r.bad)
			break;
		if (eh ? id == 0 : id == (is64 ? ~(uint64_t)0 : 0xffffffffu))
			continue; /* a CIE: parsed with its FDEs */
		{
			const unsigned char *cie_at;
			struct rd cr;
			uint64_t clen, start, range;
			struct cie c;
			struct state init, s;
			struct fde_rows f;
			bool ok;

			if (eh) {
				if (id > (uint64_t)(id_at - sec))
					continue;
				cie_at = id_at - id;
			} else {
				if (id >= len)
					continue;
				cie_at = sec + id;
			}
			cr = (struct rd){cie_at, end, false};
			clen = rd_u(&cr, 4);
			if (clen == 0xffffffffu)
				clen = rd_u(&cr, 8);
			if (cr.bad || clen > (uint64_t)(end - cr.p) || clen < 4)
				continue;
			cr.end = cr.p + clen;
			rd_u(&cr, clen == 0xffffffffu ? 8 : 4); /* its id */
			if (cr.bad)
				continue;
			ok = parse_cie(cr.p, cr.end, eh, addr, sec, &c, &init);
			start = rd_ptr(&r, eh ? c.fde_enc : 0x00, addr, sec);
			range = rd_ptr(&r, eh ? (c.fde_enc & 0x0f) : 0x00, addr,
				       sec);
			if (r.bad || !range || start + range < start ||
			    start + range > 0xffffffffu)
				continue;
			if (c.aug_z) {
				uint64_t n = rd_uleb(&r);
				if (r.bad || n > (uint64_t)(r.end - r.p))
					continue;
				r.p += n;
			}
			f.start = start;
			f.end = start + range;
			f.first = pool.first = pool.n;
			pool.fallback = !ok || c.signal;
			s = init;
			{
				uint64_t loc = start;
				if (!pool.fallback &&
				    !run_cfa(r.p, r.end, &c, &s, &init, &pool,
					     &loc, f.end, addr, sec)) {
					/* the rest of it: a fallback */
					pool.fallback = true;
				}
				if (loc < f.end)
					emit(&pool, loc, &s);
			}
			f.n = pool.n - f.first;
			fdes = xgrow(fdes, &cap_fdes, nfdes + 1, sizeof(*fdes));
			fdes[nfdes++] = f;
		}
	}
	/* in address order; an FDE that starts inside the one before is
	 * dropped (lookups find one FDE per address) */
	if (nfdes)
		qsort(fdes, nfdes, sizeof(*fdes), cmp_fde);
	for (size_t i = 0; i < nfdes; i++) {
		const struct fde_rows *f = &fdes[i];
		if (all.n && f->start < all.v[all.n - 1].addr)
			continue;
		if (all.n && all.v[all.n - 1].addr == f->start &&
		    all.v[all.n - 1].kind == CFI_NONE)
			all.n--; /* the end of the one before: this starts */
		all.v =
		    xgrow(all.v, &all.cap, all.n + f->n + 1, sizeof(*all.v));
		for (size_t k = 0; k < f->n; k++) {
			const struct cfitab_row *r = &pool.v[f->first + k];
			/* merge rows equal across the FDE boundary */
			if (all.n && k == 0 && row_same(&all.v[all.n - 1], r))
				continue;
			all.v[all.n++] = *r;
		}
		memset(&all.v[all.n], 0, sizeof(all.v[0]));
		all.v[all.n].kind = CFI_NONE;
		all.v[all.n].addr = (uint32_t)f->end;
		all.n++;
	}
	free(pool.v);
	free(fdes);
	*out = all.v;
	return all.n;
}

/* ---- a file ---- */

size_t cfitab_file_rows(const char *path, struct cfitab_row **out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx, n = 0;
	Elf *e;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e && !elf_getshdrstrndx(e, &shstrndx))
		while ((scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			const char *name;
			Elf_Data *d;
			if (!gelf_getshdr(scn, &sh) ||
			    sh.sh_type != SHT_PROGBITS ||
			    !(name = elf_strptr(e, shstrndx, sh.sh_name)) ||
			    strcmp(name, ".eh_frame"))
				continue;
			d = elf_getdata(scn, NULL);
			if (d && d->d_buf && d->d_size)
				n = cfitab_parse(d->d_buf, d->d_size,
						 sh.sh_addr, 1, out);
			break;
		}
	if (e)
		elf_end(e);
	close(fd);
	return n;
}

/* ---- a process ---- */

/* One ELF file's rows and executable segments. */
struct cfitab_file {
	char *path;
	struct cfitab_row *rows;
	size_t nrows;
	struct {
		uint64_t off, filesz, vaddr;
	} seg[8];
	int nseg;
};

struct cfitab_proc {
	pid_t pid;
	struct cfitab_file *files;
	size_t nfiles, cap_files;
	unsigned char *blob; /* NULL: to be built */
	size_t size;
	uint64_t gen;
};

struct cfitab_proc *cfitab_proc_new(pid_t pid)
{
	struct cfitab_proc *t = xcalloc(1, sizeof(*t));

	t->pid = pid;
	return t;
}

void cfitab_proc_flush(struct cfitab_proc *t)
{
	free(t->blob);
	t->blob = NULL;
}

void cfitab_proc_free(struct cfitab_proc *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nfiles; i++) {
		free(t->files[i].path);
		free(t->files[i].rows);
	}
	free(t->files);
	free(t->blob);
	free(t);
}

/* The executable PT_LOAD segments of PATH into F. */
static void file_segments(const char *path, struct cfitab_file *f)
{
	size_t nph;
	Elf *e;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e && !elf_getphdrnum(e, &nph))
		for (size_t i = 0; i < nph && f->nseg < (int)ARRAY_SIZE(f->seg);
		     i++) {
			GElf_Phdr ph;
			if (!gelf_getphdr(e, (int)i, &ph) ||
			    ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
				continue;
			f->seg[f->nseg].off = ph.p_offset;
			f->seg[f->nseg].filesz = ph.p_filesz;
			f->seg[f->nseg].vaddr = ph.p_vaddr;
			f->nseg++;
		}
	if (e)
		elf_end(e);
	close(fd);
}

static struct cfitab_file *file_get(struct cfitab_proc *t, const char *path)
{
	struct cfitab_file *f;

	for (size_t i = 0; i < t->nfiles; i++)
		if (!strcmp(t->files[i].path, path))
			return &t->files[i];
	t->files =
	    xgrow(t->files, &t->cap_files, t->nfiles + 1, sizeof(*t->files));
	f = &t->files[t->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	f->nrows = cfitab_file_rows(path, &f->rows);
	file_segments(path, f);
	return f;
}

struct pending_mod {
	struct cfitab_mod m;
	size_t file;
};

/* Builds T's blob from /proc/PID/maps. */
static void build(struct cfitab_proc *t)
{
	struct pending_mod *pm = NULL;
	size_t npm = 0, cap_pm = 0, size, *at;
	char name[64], line[4096 + 128];
	struct cfitab_hdr h = {0};
	FILE *mf;

	snprintf(name, sizeof(name), "/proc/%d/maps", (int)t->pid);
	mf = fopen(name, "re");
	while (mf && fgets(line, sizeof(line), mf)) {
		unsigned long long start, end, off;
		char perms[8], *path, *nl;
		struct cfitab_file *f;
		int pos = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end,
			   perms, &off, &pos) < 4 ||
		    !pos || perms[2] != 'x' || line[pos] != '/')
			continue;
		path = line + pos;
		if ((nl = strchr(path, '\n')))
			*nl = 0;
		f = file_get(t, path);
		for (int i = 0; i < f->nseg; i++) {
			if (off < f->seg[i].off ||
			    off >= f->seg[i].off + f->seg[i].filesz)
				continue;
			if (npm && pm[npm - 1].m.hi > start)
				break; /* overlapping: cannot be */
			pm = xgrow(pm, &cap_pm, npm + 1, sizeof(*pm));
			pm[npm].m = (struct cfitab_mod){
			    .lo = start,
			    .hi = end,
			    .bias = start -
				    (f->seg[i].vaddr + (off - f->seg[i].off)),
			};
			pm[npm].file = (size_t)(f - t->files);
			npm++;
			break;
		}
	}
	if (mf)
		fclose(mf);
	/* each file's rows once, after the modules */
	at = xcalloc(t->nfiles + 1, sizeof(*at));
	size = sizeof(h) + npm * sizeof(struct cfitab_mod);
	for (size_t i = 0; i < npm; i++) {
		struct cfitab_file *f = &t->files[pm[i].file];
		if (!at[pm[i].file] && f->nrows) {
			at[pm[i].file] = size;
			size += f->nrows * sizeof(struct cfitab_row);
		}
	}
	free(t->blob);
	t->blob = xcalloc(1, size);
	h.magic = CFITAB_MAGIC;
	h.nmods = (uint32_t)npm;
	h.size = size;
	h.gen = ++t->gen;
	memcpy(t->blob, &h, sizeof(h));
	for (size_t i = 0; i < npm; i++) {
		struct cfitab_file *f = &t->files[pm[i].file];
		size_t o = at[pm[i].file];
		if (o && size <= 0xffffffffu) {
			pm[i].m.rows = (uint32_t)o;
			pm[i].m.nrows = (uint32_t)f->nrows;
			memcpy(t->blob + o, f->rows,
			       f->nrows * sizeof(struct cfitab_row));
		}
		memcpy(t->blob + sizeof(h) + i * sizeof(struct cfitab_mod),
		       &pm[i].m, sizeof(pm[i].m));
	}
	t->size = size;
	free(at);
	free(pm);
}

const void *cfitab_proc_blob(struct cfitab_proc *t, size_t *size)
{
	if (!t->blob)
		build(t);
	*size = t->size;
	return t->blob;
}

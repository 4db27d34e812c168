#!/usr/bin/env python3
"""Decode a gzip'ed pprof profile (profile.proto) with nothing but the
standard library, for tests/profile.sh when go is absent and as a second
opinion when it is there.  Prints one line per sample:

    KIND<TAB>LEAF;...;ROOT<TAB>OBJECTS<TAB>BYTES

(KIND is the leak_kind label or "-"; frames are function names of each
location's lines, innermost first), then "sample_types ...", "period N"
and "mappings N".  Exits 1 on malformed input."""
import gzip
import sys


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        if not c & 0x80:
            return v, i
        s += 7


def fields(b):
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = varint(b, i)
            yield num, v
        elif wire == 2:
            n, i = varint(b, i)
            if i + n > len(b):
                raise ValueError("truncated field")
            yield num, b[i:i + n]
            i += n
        else:
            raise ValueError("unexpected wire type %d" % wire)


def packed(v):
    if isinstance(v, int):
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i)
        out.append(x)
    return out


def msg(b):
    d = {}
    for n, v in fields(b):
        d.setdefault(n, []).append(v)
    return d


def main():
    raw = gzip.open(sys.argv[1]).read()
    p = msg(raw)
    strs = [s.decode() for s in p.get(6, [])]
    assert strs and strs[0] == "", "string_table[0] must be empty"
    funcs = {}
    for f in p.get(5, []):
        m = msg(f)
        funcs[m[1][0]] = strs[m.get(2, [0])[0]]
    locs = {}
    for l in p.get(4, []):
        m = msg(l)
        names = [funcs[msg(ln).get(1, [0])[0]] for ln in m.get(4, [])]
        locs[m[1][0]] = names or ["0x%x" % m.get(3, [0])[0]]
    types = []
    for t in p.get(1, []):
        m = msg(t)
        types.append("%s/%s" % (strs[m.get(1, [0])[0]], strs[m.get(2, [0])[0]]))
    for s in p.get(2, []):
        m = msg(s)
        ids = [x for v in m.get(1, []) for x in packed(v)]
        vals = [x for v in m.get(2, []) for x in packed(v)]
        kind = "-"
        for lb in m.get(3, []):
            lm = msg(lb)
            if strs[lm.get(1, [0])[0]] == "leak_kind":
                kind = strs[lm.get(2, [0])[0]]
        frames = [n for i in ids for n in locs[i]]
        # a sample per (stack, leak kind) of what is live; a stack's
        # allocations so far (alloc_*) on an "alloc" line of 5 fields
        if vals[2] or vals[3]:
            print("%s\t%s\t%d\t%d" % (kind, ";".join(frames), vals[2], vals[3]))
        if vals[0] or vals[1]:
            print("alloc\t%s\t%d\t%d\t+" % (";".join(frames), vals[0], vals[1]))
    print("sample_types " + " ".join(types))
    print("period %d" % p.get(12, [0])[0])
    print("mappings %d" % len(p.get(3, [])))


if __name__ == "__main__":
    try:
        main()
    except (ValueError, IndexError, KeyError, AssertionError, OSError) as e:
        print("pprof-decode: %s" % e, file=sys.stderr)
        sys.exit(1)

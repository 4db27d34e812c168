#!/usr/bin/env python3
"""Bounded, deterministic fuzzing of leakcheck --core on a real core.

    core-fuzz.py LEAKCHECK CORE WORKDIR N

Makes N mutations of CORE (a real core of a testprog), each from a fixed
seed, so every run is the same run: cut short anywhere (most often in
the headers and notes), bits flipped and bytes set in the ELF header,
the program headers and the notes, program header fields set to
extremes, and words set in the dumped memory (heap chunk headers and the
pointers the heap walk follows live there).  Each case is written to
WORKDIR/case (patched in place and restored, so a large core costs only
the bytes each case changes) and run as `LEAKCHECK --core=case -q` with
every loss record, holder paths, top holders, a heap profile, folded
stacks and a JSON report, so that all that reads the core runs.

Every case must end within LIMIT seconds (a hang fails it), show no
sanitizer report (build/debug/leakcheck is built with ASan/UBSan), and
either exit 0 with a report (and a JSON file that parses) (a LEAK SUMMARY, or "no leaks are possible"
where the heap walk found no block, with a warning) or exit with one of the documented
--core statuses (65 not a core, 66 another architecture, 69 truncated,
71 memory left out by coredump_filter, 72 no glibc heap) having printed
exactly one line, an error.  Prints one line per failing case (its
mutation, so that it can be made again) and a last line
"N cases: N reports, N refused (status: count...), N failed".
Exit: 0 no case failed, 1 some did, 99 harness.
"""
import json
import os
import random
import struct
import subprocess
import sys

LIMIT = 60  # seconds a case may take: only a hang comes near it
STATUSES = {65: "not a core", 66: "another architecture", 69: "truncated",
            71: "filtered", 72: "no glibc heap"}
SANITIZER = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
             "UndefinedBehaviorSanitizer")


def layout(base):
    """(phoff, phnum, [(p_type, offset, filesz)]) of the ELF core BASE."""
    phoff, = struct.unpack_from("<Q", base, 32)
    phentsize, phnum = struct.unpack_from("<HH", base, 54)
    segs = []
    for i in range(phnum):
        at = phoff + i * phentsize
        if at + 56 > len(base):
            break
        p_type, _, off, _, _, filesz = struct.unpack_from("<IIQQQQ", base, at)
        segs.append((p_type, off, filesz))
    return phoff, phnum, segs


def mutation(rnd, base, phoff, phnum, segs):
    """One mutation: (description, patches [(offset, bytes)], new size or None)."""
    size = len(base)
    notes = [s for s in segs if s[0] == 4 and s[2]]
    loads = [s for s in segs if s[0] == 1 and s[2] and s[1] + s[2] <= size]
    head_end = phoff + phnum * 56
    kind = rnd.randrange(7)
    if kind == 0:  # cut short: in the headers, the notes, or anywhere
        where = rnd.randrange(3)
        if where == 0:
            cut = rnd.randrange(0, head_end + 1)
        elif where == 1 and notes:
            n = rnd.choice(notes)
            cut = n[1] + rnd.randrange(0, n[2] + 1)
        else:
            cut = rnd.randrange(0, size)
        return "cut at %d" % cut, [], cut
    if kind == 1:  # bits flipped in the ELF header and program headers
        patches = []
        for _ in range(rnd.randrange(1, 4)):
            at = rnd.randrange(0, min(head_end, size))
            patches.append((at, bytes([base[at] ^ (1 << rnd.randrange(8))])))
        return "bits flipped at %s" % [p[0] for p in patches], patches, None
    if kind == 2:  # a program header field set to an extreme
        i = rnd.randrange(phnum)
        field = rnd.choice([8, 16, 24, 32, 40, 48])  # offset..align
        val = rnd.choice([0, 1, 0xFFF, 1 << 40, (1 << 63) - 1, (1 << 64) - 1,
                          size, size + 4096, rnd.getrandbits(64)])
        return ("phdr %d +%d = %#x" % (i, field, val),
                [(phoff + i * 56 + field, struct.pack("<Q", val))], None)
    if kind in (3, 4) and notes:  # the notes: bytes set, or bits flipped
        n = rnd.choice(notes)
        patches = []
        for _ in range(rnd.randrange(1, 9)):
            at = n[1] + rnd.randrange(n[2])
            if kind == 3:
                patches.append((at, bytes([rnd.choice([0, 1, 0x7F, 0x80, 0xFF])])))
            else:
                patches.append((at, bytes([base[at] ^ (1 << rnd.randrange(8))])))
        return "notes: %s" % ["%d=%02x" % (a, b[0]) for a, b in patches], patches, None
    if kind == 5 and notes:  # a note's size words (namesz, descsz) set
        n = rnd.choice(notes)
        at = n[1] + 4 * rnd.randrange(min(64, n[2] // 4))
        val = rnd.choice([0, 3, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF])
        return "note word at %d = %#x" % (at, val), [(at, struct.pack("<I", val))], None
    if loads:  # words of dumped memory (chunk headers, the walk's pointers)
        patches = []
        for _ in range(rnd.randrange(1, 33)):
            s = rnd.choice(loads)
            at = s[1] + (rnd.randrange(s[2]) & ~7)
            if at + 8 > size:
                continue
            old, = struct.unpack_from("<Q", base, at)
            val = rnd.choice([0, 1, 0x21, 0xFFFFFFFFFFFFFFFF, old ^ 8,
                              old + 0x1000, old - 16, rnd.getrandbits(64)])
            patches.append((at, struct.pack("<Q", val & 0xFFFFFFFFFFFFFFFF)))
        return "memory words at %s" % [p[0] for p in patches][:4], patches, None
    return "unchanged", [], None


def main():
    if len(sys.argv) != 5:
        print("usage: core-fuzz.py LEAKCHECK CORE WORKDIR N", file=sys.stderr)
        return 99
    lc, core, work, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    base = open(core, "rb").read()
    phoff, phnum, segs = layout(base)
    case = os.path.join(work, "case")
    with open(case, "wb") as f:
        f.write(base)
    fd = os.open(case, os.O_RDWR)
    env = dict(os.environ)
    # a sanitizer report must be seen, and must not pass for a status
    env["ASAN_OPTIONS"] = "exitcode=98:" + env.get("ASAN_OPTIONS", "")
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:" + env.get("UBSAN_OPTIONS", "")
    reports = failed = 0
    refused = {}
    for k in range(n):
        rnd = random.Random(0x1eac + k)
        what, patches, cut = mutation(rnd, base, phoff, phnum, segs)
        for at, b in patches:
            os.pwrite(fd, b, at)
        if cut is not None:
            os.ftruncate(fd, cut)
        why = None
        try:
            js = os.path.join(work, "report.json")
            if os.path.exists(js):
                os.unlink(js)
            p = subprocess.run([lc, "--core=" + case, "-q", "--leak-check=full",
                                "--show-leak-kinds=all", "--show-holders=all",
                                "--top-holders=3",
                                "--heap-profile=" + os.path.join(work, "p.pb.gz"),
                                "--folded=" + os.path.join(work, "p.folded"),
                                "--json=" + js], env=env,
                               stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=LIMIT)
            out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
            lines = out.splitlines()
            if any(s in out for s in SANITIZER):
                why = "sanitizer: " + next(l for l in lines if any(s in l for s in SANITIZER))
            elif p.returncode == 0:
                # a report; "no leaks are possible" when the walk found no
                # block (a damaged heap: its one warning line says so)
                if "LEAK SUMMARY" not in out and \
                        "no leaks are possible" not in out:
                    why = "status 0 without a report"
                else:
                    try:
                        json.load(open(js))
                        reports += 1
                    except (OSError, ValueError) as e:
                        why = "status 0, JSON report: %s" % e
            elif p.returncode in STATUSES:
                if len(lines) != 1 or "error" not in lines[0]:
                    why = "status %d with %d lines: %s" % (p.returncode, len(lines),
                                                         " | ".join(lines[:3]))
                else:
                    refused[p.returncode] = refused.get(p.returncode, 0) + 1
            else:
                why = "status %d: %s" % (p.returncode, " | ".join(lines[:3]))
        except subprocess.TimeoutExpired:
            why = "no end within %d s (a hang)" % LIMIT
        if why:
            failed += 1
            print("FAIL case %d (%s): %s" % (k, what, why))
        # back to the real core
        if cut is not None:
            os.pwrite(fd, base[cut:], cut)
        for at, b in patches:
            os.pwrite(fd, base[at:at + len(b)], at)
    os.close(fd)
    print("%d cases: %d reports, %d refused (%s), %d failed" % (
        n, reports, sum(refused.values()),
        ", ".join("%d: %d" % kv for kv in sorted(refused.items())) or "none",
        failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

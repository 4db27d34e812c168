#!/usr/bin/env python3
"""Check a browser's screenshot of a leakcheck flame graph, with nothing
but the standard library (a PNG decoder of 8-bit RGB/RGBA, zlib):

    svg-shot-check.py GRAPH.svg SHOT.png FUNCTION

Passes (exit 0) when the screenshot is not blank (at least 16 distinct
colours) and, for at least one frame of FUNCTION in the SVG
(<g data-n="FUNCTION"> holding a <rect> with an rgb() fill), the
screenshot has that fill colour in the middle of the rect's right half,
where its label does not reach: the frame was drawn where the SVG puts
it.  Prints one line saying what it found; exit 1 otherwise, 2 when an
input cannot be read."""
import re
import struct
import sys
import zlib


def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    i, idat, hdr = 8, [], None
    while i < len(data):
        n, kind = struct.unpack(">I4s", data[i:i + 8])
        body = data[i + 8:i + 8 + n]
        i += 12 + n
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("PNG is not 8-bit RGB/RGBA, non-interlaced "
                         "(depth %d, colour type %d)" % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev, pos = [], bytearray(stride), 0
    for _ in range(h):
        ftype, line = raw[pos], bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def pixel(img, x, y):
    w, h, bpp, rows = img
    if not (0 <= x < w and 0 <= y < h):
        return None
    return tuple(rows[y][x * bpp:x * bpp + 3])


FRAME = re.compile(r'<g class="f"[^>]*data-n="([^"]*)">.*?<rect x="([\d.]+)" '
                   r'y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" '
                   r'fill="rgb\((\d+),(\d+),(\d+)\)"')


def main():
    if len(sys.argv) != 4:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    svg_path, png_path, func = sys.argv[1:]
    try:
        svg = open(svg_path, encoding="utf-8").read()
        img = read_png(png_path)
    except (OSError, ValueError, zlib.error) as e:
        print("cannot read input: %s" % e)
        return 2
    w, h, bpp, rows = img
    colours = set()
    for r in rows:
        colours.update(r[i:i + 3] for i in range(0, len(r), bpp))
    frames = [m for m in FRAME.finditer(svg) if m.group(1) == func]
    seen = 0
    for m in frames:
        x, y, fw, fh = (float(v) for v in m.group(2, 3, 4, 5))
        want = tuple(int(v) for v in m.group(6, 7, 8))
        got = pixel(img, int(x + fw * 0.75), int(y + fh / 2))
        if got and all(abs(g - v) <= 8 for g, v in zip(got, want)):
            seen += 1
    print("%dx%d screenshot, %d colours; %s: %d frames in the SVG, %d "
          "drawn at their place and colour" % (w, h, len(colours), func,
                                              len(frames), seen))
    return 0 if len(colours) >= 16 and seen >= 1 else 1


if __name__ == "__main__":
    sys.exit(main())

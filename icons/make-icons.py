#!/usr/bin/env python3
"""Draws Tally's icon (a tally mark crossed by a tick on a deep green rounded square) as RGBA PNGs,
with the standard library only: `python3 icons/make-icons.py` rewrites icons/*.png."""
import math, os, struct, zlib

GREEN = (0x0b, 0x5d, 0x4b)
WHITE = (0xff, 0xff, 0xff)

def seg_dist(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))

def coverage(x, y, n):
    """(alpha of the square, whiteness of the mark) at pixel centre (x, y) in an n×n icon, 0..1."""
    u, v = (x + 0.5) / n, (y + 0.5) / n
    r, m = 0.2, 0.04  # corner radius, margin
    cx = min(max(u, m + r), 1 - m - r)
    cy = min(max(v, m + r), 1 - m - r)
    d = math.hypot(u - cx, v - cy) - r
    square = max(0.0, min(1.0, 0.5 - d * n))
    w = 0.055
    strokes = [(0.30, 0.26, 0.30, 0.74), (0.43, 0.26, 0.43, 0.74), (0.56, 0.26, 0.56, 0.74),
               (0.22, 0.56, 0.42, 0.76), (0.42, 0.76, 0.80, 0.30)]
    dm = min(seg_dist(u, v, *s) for s in strokes) - w
    mark = max(0.0, min(1.0, 0.5 - dm * n))
    return square, mark

def png(n):
    rows = []
    for y in range(n):
        row = bytearray([0])
        for x in range(n):
            # 4×4 supersampling for smooth edges at small sizes.
            a = k = 0.0
            for sy in range(4):
                for sx in range(4):
                    s, mk = coverage(x - 0.375 + sx * 0.25, y - 0.375 + sy * 0.25, n)
                    a += s; k += mk * s
            a /= 16; k = k / 16 / a if a else 0
            rgb = [round(GREEN[i] * (1 - k) + WHITE[i] * k) for i in range(3)]
            row += bytes(rgb + [round(a * 255)])
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", n, n, 8, 6, 0, 0, 0)) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")

here = os.path.dirname(os.path.abspath(__file__))
for name, n in [("32x32.png", 32), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)]:
    with open(os.path.join(here, name), "wb") as f:
        f.write(png(n))

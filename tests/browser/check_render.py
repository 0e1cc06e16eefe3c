"""Checks a headless-browser rendering of a report: the screenshot is a PNG that is not blank
(its pixels vary), the dumped DOM holds the expected headings in the order given, and at
least N charts were inlined.

Usage: check_render.py SCREENSHOT.png DOM.html N "Heading one" "Heading two" ...
Standard library only, so it runs before any pip install.
"""

import re
import struct
import sys
import zlib


def decode_png(path):
    """Returns (width, height, channels, rows of bytes) of an 8-bit non-interlaced PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG file")
    pos, idat, width = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace != 0 or color not in (0, 2, 4, 6):
                raise SystemExit(f"{path}: unsupported PNG (depth {depth}, colour {color})")
            channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    if width is None:
        raise SystemExit(f"{path}: no IHDR chunk")
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


def main():
    png, dom, charts, headings = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    width, height, channels, rows = decode_png(png)
    # Grey level of every 4th pixel of every 4th row: enough to see text and charts.
    grey = [
        sum(row[x * channels : x * channels + min(3, channels)]) / min(3, channels)
        for row in rows[::4]
        for x in range(0, width, 4)
    ]
    mean = sum(grey) / len(grey)
    variance = sum((g - mean) ** 2 for g in grey) / len(grey)
    dark = sum(1 for g in grey if g < 128) / len(grey)
    print(f"{png}: {width}x{height}, grey mean {mean:.1f}, variance {variance:.1f}, "
          f"dark share {dark:.3f}")
    if variance < 100 or dark < 0.005:
        raise SystemExit(f"{png}: the page looks blank")
    text = open(dom, encoding="utf-8").read()
    found = [re.sub(r"<[^>]+>", "", h).strip()
             for h in re.findall(r"<h[12][^>]*>(.*?)</h[12]>", text, re.S)]
    at = -1
    for h in headings:
        where = [i for i, f in enumerate(found) if f.startswith(h)]
        if not where:
            raise SystemExit(f"{dom}: heading {h!r} not found among {found}")
        if where[0] < at:
            raise SystemExit(f"{dom}: heading {h!r} comes before {headings[headings.index(h) - 1]!r}")
        at = where[0]
    if "Answer" in headings and not re.search(r'<section id="answer">.*?<table', text, re.S):
        raise SystemExit(f"{dom}: the answer block holds no table of key figures")
    svgs = text.count("<svg")
    print(f"{dom}: headings {found}; {svgs} inline SVG charts")
    if svgs < charts:
        raise SystemExit(f"{dom}: {svgs} charts rendered, expected at least {charts}")


if __name__ == "__main__":
    main()

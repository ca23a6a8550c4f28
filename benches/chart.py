#!/usr/bin/env python3
"""Chart and tables from criterion's output for the framing benchmarks.

Reads target/criterion/<group>/<contender>/<payload>/new/{benchmark,estimates}.json
as written by `cargo bench` (benches/codec.rs, benches/tcp.rs), then

  * writes an SVG chart: throughput against payload size, one panel per
    group, one line per contender (drawn by hand: standard library only);
  * prints, with --markdown, the tables of medians (bytes/s and frames/s),
    the per-chunk costs and the issue's goals with their ratios and status,
    as they appear in BENCHMARKS.md.

Usage:
  python3 benches/chart.py                     # writes benches/throughput.svg
  python3 benches/chart.py --markdown          # and prints the tables
  python3 benches/chart.py --criterion DIR --svg OUT.svg

Every frame in these benchmarks has a 4-byte header, so a benchmark's frame
count is its byte count / (4 + payload).
"""

import argparse
import glob
import json
import math
import os
import sys
from xml.sax.saxutils import escape

HEADER = 4
GROUPS = [
    ("decode_whole", "Decode, whole stream as one chunk"),
    ("decode_1500", "Decode, 1500-byte chunks"),
    ("decode_64", "Decode, 64-byte chunks"),
    ("decode_7", "Decode, 7-byte chunks"),
    ("decode_1", "Decode, 1-byte chunks"),
    ("encode", "Encode"),
    ("tcp", "TCP loopback, end to end"),
]
# Fixed colours so a contender looks the same in every panel.
COLOURS = {
    "framing_decoder": "#1f77b4",
    "framing_stream": "#17becf",
    "framing_encode": "#1f77b4",
    "framing_header": "#17becf",
    "framing_std": "#1f77b4",
    "tokio_util": "#d62728",
    "read_exact": "#ff7f0e",
    "bufreader_read_exact": "#ff7f0e",
    "minimal_loop": "#2ca02c",
    "raw_read": "#7f7f7f",
    "memcpy": "#7f7f7f",
}
EXTRA = ["#9467bd", "#8c564b", "#e377c2", "#bcbd22"]
DASHED = {"memcpy", "minimal_loop", "raw_read"}  # the floors and ceilings


def load(root):
    """{group: {contender: {payload: record}}} from criterion's output."""
    data = {}
    for bench in glob.glob(os.path.join(root, "**", "new", "benchmark.json"), recursive=True):
        with open(bench) as f:
            meta = json.load(f)
        est_path = os.path.join(os.path.dirname(bench), "estimates.json")
        if not os.path.exists(est_path):
            continue
        with open(est_path) as f:
            est = json.load(f)
        tp = (meta.get("throughput") or {}).get("Bytes")
        if tp is None or meta.get("value_str") is None:
            continue
        payload = int(meta["value_str"])
        ns = est["median"]["point_estimate"]
        rec = {
            "ns": ns,
            "bytes": tp,
            "frames": tp // (HEADER + payload),
            "bps": tp / (ns * 1e-9),
            "fps": tp // (HEADER + payload) / (ns * 1e-9),
        }
        data.setdefault(meta["group_id"], {}).setdefault(meta["function_id"], {})[payload] = rec
    return data


def human_bytes(bps):
    for unit, scale in (("GiB/s", 2**30), ("MiB/s", 2**20), ("KiB/s", 2**10)):
        if bps >= scale:
            return f"{bps / scale:.3g} {unit}"
    return f"{bps:.3g} B/s"


def human_frames(fps):
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if fps >= scale:
            return f"{fps / scale:.3g} {unit}fr/s"
    return f"{fps:.3g} fr/s"


def axis_label(bps):
    """Decimal units, so the decades of the log axis read 1, 10, 100."""
    for unit, scale in (("TB/s", 1e12), ("GB/s", 1e9), ("MB/s", 1e6), ("kB/s", 1e3)):
        if bps >= scale:
            return f"{bps / scale:.0f} {unit}"
    return f"{bps:.0f} B/s"


def colour_map(data):
    colours = dict(COLOURS)
    extra = iter(EXTRA * 4)
    for group in data.values():
        for name in sorted(group):
            if name not in colours:
                colours[name] = next(extra)
    return colours


def svg_chart(data, path):
    colours = colour_map(data)
    panels = [(g, t) for g, t in GROUPS if g in data]
    panels += [(g, g) for g in sorted(data) if g not in dict(GROUPS)]
    cols = 4
    pw, ph = 330, 270  # panel size
    ml, mr, mt, mb = 62, 12, 30, 40  # plot margins inside a panel
    rows = max(1, math.ceil((len(panels) + 1) / cols))
    width, height = cols * pw, rows * ph + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">'
        "framing throughput against payload size (criterion medians; log scale, "
        "bytes of header + payload per second, 1 GB = 10^9 B)</text>",
    ]
    legend_names = []
    for i, (group, title) in enumerate(panels):
        ox, oy = (i % cols) * pw, 40 + (i // cols) * ph
        x0, x1 = ox + ml, ox + pw - mr
        y0, y1 = oy + ph - mb, oy + mt
        contenders = data[group]
        payloads = sorted({p for c in contenders.values() for p in c})
        values = [r["bps"] for c in contenders.values() for r in c.values()]
        lo = math.floor(math.log10(min(values)))
        hi = math.ceil(math.log10(max(values)))
        hi = max(hi, lo + 1)

        def px(k, payloads=payloads, x0=x0, x1=x1):
            return x0 + (x1 - x0) * (k + 0.5) / len(payloads)

        def py(v, lo=lo, hi=hi, y0=y0, y1=y1):
            return y0 - (y0 - y1) * (math.log10(v) - lo) / (hi - lo)

        out.append(
            f'<text x="{ox + pw / 2}" y="{oy + 18}" text-anchor="middle" font-weight="bold">'
            f"{escape(title)}</text>"
        )
        out.append(f'<rect x="{x0}" y="{y1}" width="{x1 - x0}" height="{y0 - y1}" '
                   'fill="none" stroke="#444"/>')
        for d in range(lo, hi + 1):
            y = py(10**d)
            out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#ddd"/>')
            out.append(f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end">'
                       f"{escape(axis_label(10**d))}</text>")
        for k, p in enumerate(payloads):
            x = px(k)
            out.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + 4}" stroke="#444"/>')
            out.append(f'<text x="{x:.1f}" y="{y0 + 16}" text-anchor="middle">{p}</text>')
        out.append(f'<text x="{(x0 + x1) / 2}" y="{y0 + 32}" text-anchor="middle">'
                   "payload bytes</text>")
        for name in sorted(contenders):
            pts = [(px(payloads.index(p)), py(r["bps"])) for p, r in sorted(contenders[name].items())]
            colour = colours[name]
            dash = ' stroke-dasharray="5,3"' if name in DASHED else ""
            line = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            out.append(f'<polyline points="{line}" fill="none" stroke="{colour}" '
                       f'stroke-width="1.8"{dash}/>')
            for x, y in pts:
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')
            if name not in legend_names:
                legend_names.append(name)
    # Legend in the next free cell: one line per colour, naming the
    # contenders that wear it in the different panels.
    i = len(panels)
    ox, oy = (i % cols) * pw, 40 + (i // cols) * ph
    out.append(f'<text x="{ox + 20}" y="{oy + 18}" font-weight="bold">contenders</text>')
    by_colour = {}
    for name in legend_names:
        by_colour.setdefault((colours[name], name in DASHED), []).append(name)
    for k, ((colour, dashed), names) in enumerate(by_colour.items()):
        y = oy + 38 + 20 * k
        dash = ' stroke-dasharray="5,3"' if dashed else ""
        out.append(f'<line x1="{ox + 20}" y1="{y - 4}" x2="{ox + 48}" y2="{y - 4}" '
                   f'stroke="{colour}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{ox + 54}" y="{y}">{escape(" / ".join(names))}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def get(data, group, name, payload):
    return data.get(group, {}).get(name, {}).get(payload)


def ratio(data, group, a, b, payload):
    ra, rb = get(data, group, a, payload), get(data, group, b, payload)
    if ra is None or rb is None:
        return None
    return ra["bps"] / rb["bps"]


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:.2f}x"


def status(r, goal):
    if r is None:
        return "not measured"
    return "**met**" if r >= goal else "**missed**"


def markdown(data, others=()):
    lines = []
    for group, title in GROUPS:
        if group not in data:
            continue
        contenders = data[group]
        payloads = sorted({p for c in contenders.values() for p in c})
        some = next(iter(contenders.values()))
        size = max(r["bytes"] for r in some.values())
        lines.append(f"#### {title} (`{group}`)\n")
        lines.append(f"Median; bytes/s and frames/s. About {size / 2**20:.3g} MiB per iteration.\n")
        lines.append("| contender | " + " | ".join(f"{p} B" for p in payloads) + " |")
        lines.append("|---|" + "---|" * len(payloads))
        for name in contenders:
            cells = []
            for p in payloads:
                r = contenders[name].get(p)
                cells.append("" if r is None else
                             f"{human_bytes(r['bps'])}<br>{human_frames(r['fps'])}")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append(goals(data, others))
    return "\n".join(lines)


def ns_per_chunk(data, group, name, payload, chunk):
    r = get(data, group, name, payload)
    if r is None:
        return None
    return r["ns"] / math.ceil(r["bytes"] / chunk)


def goal_rows(data):
    """The goals of issue 12 in `data`: (goal, ratio of, measured ratio or
    None, wanted, whether a higher ratio is better). Speed ratios are
    throughput a / throughput b; cost ratios are time a / time b."""
    rows = []

    def goal(text, group, a, b, payload, want):
        rows.append((text, f"`{group}` {payload} B: {a} / {b} (speed)",
                     ratio(data, group, a, b, payload), want, True))

    def cost(text, group, a, b, payload, most):
        rows.append((text, f"`{group}` {payload} B: {a} / {b} (cost)",
                     ratio(data, group, b, a, payload), most, False))

    goal("whole stream, 16 B: >= 10x tokio-util", "decode_whole",
         "framing_decoder", "tokio_util", 16, 10)
    goal("1500-byte chunks, 16 B: >= 10x tokio-util", "decode_1500",
         "framing_decoder", "tokio_util", 16, 10)
    goal("whole stream, 16 B: >= 0.6x the minimal loop", "decode_whole",
         "framing_decoder", "minimal_loop", 16, 0.6)
    goal("1500-byte chunks, 256 B: >= 5x tokio-util", "decode_1500",
         "framing_decoder", "tokio_util", 256, 5)
    cost("7-byte chunks, 16 B: at most 2.5x the cost of memcpy", "decode_7",
         "framing_decoder", "memcpy", 16, 2.5)
    cost("7-byte chunks, 256 B: at most 2.5x the cost of memcpy", "decode_7",
         "framing_decoder", "memcpy", 256, 2.5)
    cost("1-byte chunks, 16 B: at most 1.5x the cost of memcpy", "decode_1",
         "framing_decoder", "memcpy", 16, 1.5)
    for group, label in (("decode_whole", "whole stream"), ("decode_1500", "1500-byte chunks"),
                         ("decode_64", "64-byte chunks"), ("decode_7", "7-byte chunks"),
                         ("decode_1", "1-byte chunks")):
        found = [(ratio(data, group, "framing_stream", "tokio_util", p), p)
                 for p in (0, 16, 256, 4096, 65536)]
        found = [(r, p) for r, p in found if r is not None]
        worst = min(found) if found else (None, None)
        rows.append((f"streaming never slower than tokio-util: {label}",
                     f"`{group}`, slowest payload ({worst[1]} B): framing_stream / tokio_util (speed)",
                     worst[0], 1.0, True))
    cost("7-byte chunks, 64 KiB, streaming: at most 2x the cost of memcpy", "decode_7",
         "framing_stream", "memcpy", 65536, 2)
    goal("64 KiB in 1500-byte chunks, whole-frame: >= 1.0x memcpy", "decode_1500",
         "framing_decoder", "memcpy", 65536, 1.0)
    goal("64 KiB in 1500-byte chunks, streaming: >= 4x memcpy", "decode_1500",
         "framing_stream", "memcpy", 65536, 4)
    goal("TCP, 16 B: framing-std reader >= 0.35x the raw read loop", "tcp",
         "framing_std", "raw_read", 16, 0.35)
    goal("TCP, 16 B: framing-std reader >= 3x tokio-util on the same reads", "tcp",
         "framing_std", "tokio_util", 16, 3)
    goal("TCP, 64 KiB: framing-std reader >= 0.95x the raw read loop", "tcp",
         "framing_std", "raw_read", 65536, 0.95)
    return rows


def goals(data, others=()):
    """The goals table: one measured column per run (`data` first), and a
    status over all of them."""
    runs = [goal_rows(data)] + [goal_rows(o) for o in others]
    rows = []
    for i, (text, of, _, want, higher) in enumerate(runs[0]):
        measured = [run[i][2] for run in runs]
        met = [None if r is None else (r >= want if higher else r <= want) for r in measured]
        if any(m is None for m in met):
            verdict = "not measured"
        elif all(met):
            verdict = "**met**"
        elif not any(met):
            verdict = "**missed**"
        else:
            verdict = f"met in {sum(met)} of {len(met)} runs"
        wanted = f"{want:g}x" if higher else f"<= {want:g}x"
        rows.append(f"| {text} | {of} | " + " | ".join(fmt_ratio(r) for r in measured) +
                    f" | {wanted} | {verdict} |")
    heads = ["measured"] if not others else ["run 1"] + [f"run {k + 2}" for k in range(len(others))]
    out = ["#### Goals\n",
           "| goal | ratio of | " + " | ".join(heads) + " | wanted | status |",
           "|---|---|" + "---|" * len(heads) + "---|---|"] + rows + [""]

    # Linearity: the cost of a chunk must not grow with the frame it belongs to.
    out.append("#### Cost per chunk (ns), for the linearity goal\n")
    out.append("Median time / number of chunks. Linear: at a given chunk size the cost of "
               "a chunk does not grow with the frame size (no re-parsing of what is "
               "already buffered).\n")
    payloads = (0, 16, 256, 4096, 65536)
    out.append("| contender | chunk | " + " | ".join(f"{p} B" for p in payloads) +
               " | 64 KiB / 16 B |")
    out.append("|---|---|" + "---|" * (len(payloads) + 1))
    for name in ("framing_decoder", "framing_stream", "tokio_util"):
        for chunk in (64, 7, 1):
            cells = [ns_per_chunk(data, f"decode_{chunk}", name, p, chunk) for p in payloads]
            if all(c is None for c in cells):
                continue
            growth = (cells[4] / cells[1]) if cells[4] and cells[1] else None
            out.append(f"| {name} | {chunk} | " +
                       " | ".join("" if c is None else f"{c:.2f}" for c in cells) +
                       f" | {fmt_ratio(growth)} |")
    out.append("")

    # The anchors the issue quotes, as measured in this run.
    out.append("#### The issue's anchors, in this run\n")
    tok = get(data, "decode_whole", "tokio_util", 16)
    if tok:
        out.append(f"- tokio-util, whole stream, 16 B: {tok['ns'] / tok['frames']:.1f} ns a frame "
                   f"({fmt_ratio(ratio(data, 'decode_whole', 'tokio_util', 'minimal_loop', 16))} "
                   "of the minimal loop); issue 12's run: 63 to 72 ns.")
    r = ratio(data, "decode_1500", "tokio_util", "memcpy", 65536)
    if r is not None:
        out.append(f"- tokio-util, 64 KiB in 1500-byte chunks: {fmt_ratio(r)} of memcpy; "
                   "issue 12's run: about 0.87x.")
    r = ratio(data, "tcp", "tokio_util", "raw_read", 16)
    if r is not None:
        out.append(f"- tokio-util over TCP, 16 B: {fmt_ratio(r)} of the raw read loop; "
                   "issue 12's run: framing-std about 0.2x, tokio-util under a third of that.")
    out.append("")

    # The floor over TCP: a hand-written loop that only slices frames.
    floor = [(p, ratio(data, "tcp", "minimal_loop", "raw_read", p),
              ratio(data, "tcp", "framing_std", "minimal_loop", p)) for p in (16, 65536)]
    if any(f is not None for _, f, _ in floor):
        out.append("#### Over TCP, the floor for any framing reader\n")
        out.append("| payload | minimal_loop / raw_read | framing_std / minimal_loop |")
        out.append("|---|---|---|")
        for p, f, s in floor:
            out.append(f"| {p} B | {fmt_ratio(f)} | {fmt_ratio(s)} |")
        out.append("")
    return "\n".join(out)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--criterion", default=os.path.join(here, "..", "target", "criterion"),
                    help="criterion's output folder (default: target/criterion)")
    ap.add_argument("--svg", default=os.path.join(here, "throughput.svg"),
                    help="where to write the chart (default: benches/throughput.svg)")
    ap.add_argument("--markdown", action="store_true", help="print the tables for BENCHMARKS.md")
    ap.add_argument("--also", action="append", default=[], metavar="DIR",
                    help="another run's criterion folder: its goal ratios become a column "
                         "of the goals table (repeatable)")
    args = ap.parse_args()
    data = load(args.criterion)
    if not data:
        sys.exit(f"no criterion results under {args.criterion}: run `cargo bench` first")
    svg_chart(data, args.svg)
    print(f"wrote {os.path.relpath(args.svg)}", file=sys.stderr)
    others = [load(d) for d in args.also]
    if args.markdown:
        print(markdown(data, others))


if __name__ == "__main__":
    main()

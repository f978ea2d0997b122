"""Plots as hand-written SVG: deterministic bytes, no plotting library, no network to view.

Four charts per board: PGR with its 95% interval per entry (forest plot), PGR against the
strong rung's size per entry, a per-task heatmap, and naive's and bootstrapping's PGR pair by
pair against the weak rung's accuracy. Coordinates are printed with one
decimal and text is escaped, so the same board always gives the same bytes.
"""

from __future__ import annotations

import math
from html import escape

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]
FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _n(v: float) -> str:
    s = f"{v:.1f}"
    return "0.0" if s == "-0.0" else s


def fmt(v: float | None, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    s = f"{v:.{digits}f}"
    # a value that rounds to zero keeps its sign: a negative interval bound must never read as 0.00
    return s.lstrip("-") if v >= 0 else s


class Canvas:
    def __init__(self, width: float, height: float, title: str):
        self.width, self.height, self.title = width, height, title
        self.parts: list[str] = []

    def line(self, x1, y1, x2, y2, stroke="#444", width=1.0, dash: str | None = None):
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" '
            f'stroke-width="{width}"{d}/>'
        )

    def rect(self, x, y, w, h, fill, stroke: str | None = None, title: str | None = None):
        s = f' stroke="{stroke}"' if stroke else ""
        t = f"<title>{escape(title)}</title>" if title else ""
        self.parts.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{fill}"{s}>{t}</rect>')

    def circle(self, cx, cy, r, fill, title: str | None = None, hollow: bool = False):
        t = f"<title>{escape(title)}</title>" if title else ""
        paint = f'fill="white" stroke="{fill}" stroke-width="2"' if hollow else f'fill="{fill}"'
        self.parts.append(f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{r}" {paint}>{t}</circle>')

    def polyline(self, points, stroke, width=1.5, dash: str | None = None):
        d = f' stroke-dasharray="{dash}"' if dash else ""
        pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(f'<polyline points="{pts}" fill="none" stroke="{stroke}" stroke-width="{width}"{d}/>')

    def text(self, x, y, s: str, size=11, anchor="start", fill="#222", weight: str | None = None):
        w = f' font-weight="{weight}"' if weight else ""
        self.parts.append(
            f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{w}>'
            f"{escape(s)}</text>"
        )

    def render(self, css_class: str) -> str:
        body = "\n".join(self.parts)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" width="{_n(self.width)}" '
            f'height="{_n(self.height)}" viewBox="0 0 {_n(self.width)} {_n(self.height)}" role="img" '
            f'aria-label="{escape(self.title)}" {FONT}>\n<title>{escape(self.title)}</title>\n{body}\n</svg>'
        )


def _ticks(lo: float, hi: float, most: int = 8) -> list[float]:
    span = hi - lo
    for step in (0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0):
        if span / step <= most:
            break
    first = math.ceil(lo / step - 1e-9) * step
    out, v = [], first
    while v <= hi + 1e-9:
        out.append(round(v, 6))
        v += step
    return out


def _range(values: list[float]) -> tuple[float, float]:
    lo = min([-0.25] + values)
    hi = max([1.25] + values)
    pad = (hi - lo) * 0.04
    return max(lo - pad, -3.0), min(hi + pad, 4.0)


def forest(rows: list[dict], title: str) -> str:
    """One line per entry: its PGR (dot) and 95% interval (bar). rows: label, pgr, low, high, color, hollow."""
    left, right, top, step = 210, 30, 36, 26
    width = 720
    height = top + step * max(1, len(rows)) + 44
    c = Canvas(width, height, title)
    vals = [v for r in rows for v in (r["pgr"], r["low"], r["high"]) if v is not None]
    lo, hi = _range(vals)
    x = lambda v: left + (min(max(v, lo), hi) - lo) / (hi - lo) * (width - left - right)  # noqa: E731
    c.text(10, 20, title, size=13, weight="bold")
    bottom = top + step * max(1, len(rows))
    for t in _ticks(lo, hi):
        c.line(x(t), top - 6, x(t), bottom, stroke="#ddd")
        c.text(x(t), bottom + 16, fmt(t), size=10, anchor="middle", fill="#555")
    for ref, label in ((0.0, "weak"), (1.0, "ceiling")):
        c.line(x(ref), top - 6, x(ref), bottom, stroke="#888", dash="4 3")
        c.text(x(ref), top - 10, label, size=10, anchor="middle", fill="#555")
    c.text(
        (left + width - right) / 2,
        bottom + 34,
        "PGR (mean over scored cells), 95% paired bootstrap interval",
        size=11,
        anchor="middle",
        fill="#333",
    )
    if not rows:
        c.text(left, top + 16, "no complete entries yet", size=11, fill="#777")
    for i, r in enumerate(rows):
        y = top + step * i + step / 2
        c.text(left - 8, y + 4, r["label"], size=11, anchor="end")
        if r["low"] is not None and r["high"] is not None:
            c.line(x(r["low"]), y, x(r["high"]), y, stroke=r["color"], width=2.5)
            c.line(x(r["low"]), y - 5, x(r["low"]), y + 5, stroke=r["color"], width=1.5)
            c.line(x(r["high"]), y - 5, x(r["high"]), y + 5, stroke=r["color"], width=1.5)
        if r["pgr"] is not None:
            c.circle(
                x(r["pgr"]),
                y,
                4.5,
                r["color"],
                hollow=r.get("hollow", False),
                title=f"{r['label']}: PGR {fmt(r['pgr'])} [{fmt(r['low'])}, {fmt(r['high'])}]",
            )
        else:
            c.text(left + 4, y + 4, "PGR undefined (no scored cell)", size=10, fill="#777")
    return c.render("plot forest")


def size_plot(series: list[dict], sizes: dict[str, int | None], title: str) -> str:
    """PGR against the strong rung's parameter count (log scale), one line per entry.

    series: label, color, hollow, points {strong rung: (pgr, low, high)}.
    """
    left, right, top, bottom_pad = 60, 190, 36, 60
    width, height = 720, 340
    c = Canvas(width, height, title)
    c.text(10, 20, title, size=13, weight="bold")
    known = {k: v for k, v in sizes.items() if v}
    plot_w, plot_b = width - left - right, height - bottom_pad
    if not known:
        c.text(left, top + 30, "no rung sizes in the records yet", size=11, fill="#777")
        return c.render("plot size")
    logs = {k: math.log10(v) for k, v in known.items()}
    lo, hi = min(logs.values()), max(logs.values())
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    pad = (hi - lo) * 0.08
    lo, hi = lo - pad, hi + pad
    vals = [v for s in series for p in s["points"].values() for v in p if v is not None]
    ylo, yhi = _range(vals)
    x = lambda v: left + (v - lo) / (hi - lo) * plot_w  # noqa: E731
    y = lambda v: plot_b - (min(max(v, ylo), yhi) - ylo) / (yhi - ylo) * (plot_b - top)  # noqa: E731
    for t in _ticks(ylo, yhi):
        c.line(left, y(t), left + plot_w, y(t), stroke="#e3e3e3")
        c.text(left - 6, y(t) + 4, fmt(t), size=10, anchor="end", fill="#555")
    for ref in (0.0, 1.0):
        c.line(left, y(ref), left + plot_w, y(ref), stroke="#888", dash="4 3")
    for name, v in sorted(known.items(), key=lambda kv: kv[1]):
        c.line(x(logs[name]), plot_b, x(logs[name]), plot_b + 5, stroke="#444")
        c.text(x(logs[name]), plot_b + 18, name, size=10, anchor="middle")
        c.text(x(logs[name]), plot_b + 31, _human(v), size=10, anchor="middle", fill="#555")
    c.line(left, plot_b, left + plot_w, plot_b, stroke="#444")
    c.line(left, top, left, plot_b, stroke="#444")
    c.text(left + plot_w / 2, height - 8, "strong rung (parameters, log scale)", size=11, anchor="middle", fill="#333")
    c.text(14, (top + plot_b) / 2 - 40, "PGR", size=11, fill="#333")
    for s in series:
        pts = sorted((logs[k], p) for k, p in s["points"].items() if k in logs and p[0] is not None)
        dash = "5 3" if s.get("hollow") else None
        if len(pts) > 1:
            c.polyline([(x(lx), y(p[0])) for lx, p in pts], s["color"], dash=dash)
        for lx, (v, low, high) in pts:
            if low is not None and high is not None:
                c.line(x(lx), y(low), x(lx), y(high), stroke=s["color"], width=1.5)
            c.circle(
                x(lx),
                y(v),
                4,
                s["color"],
                hollow=s.get("hollow", False),
                title=f"{s['label']}: PGR {fmt(v)} [{fmt(low)}, {fmt(high)}]",
            )
    for i, s in enumerate(series):
        ly = top + 8 + 18 * i
        c.line(
            width - right + 16,
            ly,
            width - right + 36,
            ly,
            stroke=s["color"],
            width=2,
            dash="5 3" if s.get("hollow") else None,
        )
        c.text(width - right + 42, ly + 4, s["label"], size=11)
    return c.render("plot size")


PAIR_AXES = {"weak": "weak rung's test accuracy", "gap": "gap (ceiling minus weak accuracy)"}


def pair_plot(points: list[dict], title: str, along: str = "weak") -> str:
    """PGR against the weak rung's accuracy (the paper's Figure 3) or against the gap (Figure 4),
    one point per pair.

    points: label (the pair), weak (its accuracy), gap, color (by strong rung), naive and
    bootstrap as (pgr, low, high) or None; bootstrap is drawn hollow, beside naive.
    """
    left, right, top, bottom_pad = 60, 30, 36, 50
    width, height = 720, 340
    c = Canvas(width, height, title)
    c.text(10, 20, title, size=13, weight="bold")
    plot_w, plot_b = width - left - right, height - bottom_pad
    xs = [p[along] for p in points]
    if not xs:
        c.text(left, top + 30, "no scored pair yet", size=11, fill="#777")
        return c.render("plot pairs")
    lo, hi = min(xs), max(xs)
    pad = max(hi - lo, 0.02) * 0.1
    lo, hi = lo - pad, hi + pad
    vals = [v for p in points for k in ("naive", "bootstrap") if p.get(k) for v in p[k] if v is not None]
    ylo, yhi = _range(vals)
    x = lambda v: left + (v - lo) / (hi - lo) * plot_w  # noqa: E731
    y = lambda v: plot_b - (min(max(v, ylo), yhi) - ylo) / (yhi - ylo) * (plot_b - top)  # noqa: E731
    for t in _ticks(ylo, yhi):
        c.line(left, y(t), left + plot_w, y(t), stroke="#e3e3e3")
        c.text(left - 6, y(t) + 4, fmt(t), size=10, anchor="end", fill="#555")
    for ref in (0.0, 1.0):
        c.line(left, y(ref), left + plot_w, y(ref), stroke="#888", dash="4 3")
    for t in _ticks(lo, hi, most=6):
        c.line(x(t), plot_b, x(t), plot_b + 5, stroke="#444")
        c.text(x(t), plot_b + 18, fmt(t), size=10, anchor="middle", fill="#555")
    c.line(left, plot_b, left + plot_w, plot_b, stroke="#444")
    c.line(left, top, left, plot_b, stroke="#444")
    c.text(left + plot_w / 2, height - 8, PAIR_AXES[along], size=11, anchor="middle", fill="#333")
    c.text(14, (top + plot_b) / 2 - 40, "PGR", size=11, fill="#333")
    for p in points:
        for key, shift, hollow in (("naive", -3, False), ("bootstrap", 3, True)):
            if not p.get(key) or p[key][0] is None:
                continue
            v, low, high = p[key]
            if low is not None and high is not None:
                c.line(x(p[along]) + shift, y(low), x(p[along]) + shift, y(high), stroke=p["color"], width=1.5)
            c.circle(
                x(p[along]) + shift,
                y(v),
                4,
                p["color"],
                hollow=hollow,
                title=f"{p['label']}, {key}: PGR {fmt(v)} [{fmt(low)}, {fmt(high)}]",
            )
    return c.render("plot pairs")


def _human(n: int) -> str:
    for unit, div in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= div:
            return f"{n / div:.1f}{unit}"
    return str(n)


def _heat(v: float | None) -> str:
    """Diverging colour: red below 0 (worse than the weak supervisor), white at 0, blue to 1 and beyond."""
    if v is None:
        return "#eeeeee"
    if v < 0:
        t = min(1.0, -v)
        r, g, b = 255, int(255 - 150 * t), int(255 - 150 * t)
    else:
        t = min(1.0, v / 1.2)
        r, g, b = int(255 - 200 * t), int(255 - 140 * t), 255
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(
    rows: list[str], tasks: list[str], values: dict[tuple[str, str], float | None], excluded: set[str], title: str
) -> str:
    """Entries x tasks, each cell the task's PGR (mean over its scored pairs)."""
    left, top, cw, ch = 210, 64, 130, 26
    width = max(left + cw * len(tasks) + 20, 420)
    height = top + ch * max(1, len(rows)) + 30
    c = Canvas(width, height, title)
    c.text(10, 20, title, size=13, weight="bold")
    for j, t in enumerate(tasks):
        c.text(left + cw * j + cw / 2, top - 10, t, size=11, anchor="middle")
    if not rows:
        c.text(left, top + 18, "no complete entries yet", size=11, fill="#777")
    for i, name in enumerate(rows):
        yy = top + ch * i
        c.text(left - 8, yy + ch / 2 + 4, name, size=11, anchor="end")
        for j, t in enumerate(tasks):
            v = values.get((name, t))
            label = "gap too small" if t in excluded and v is None else fmt(v)
            c.rect(left + cw * j, yy, cw - 2, ch - 2, _heat(v), title=f"{name} on {t}: PGR {label}")
            c.text(
                left + cw * j + cw / 2 - 1,
                yy + ch / 2 + 3,
                label,
                size=10,
                anchor="middle",
                fill="#111" if v is not None else "#777",
            )
    c.text(
        10,
        height - 8,
        "red: below 0 (worse than the weak supervisor); blue: toward 1 (the ceiling)",
        size=10,
        fill="#555",
    )
    return c.render("plot heatmap")

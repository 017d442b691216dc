"""Inline SVG bar charts with confidence-interval whiskers (the admin's CSP allows no scripts from elsewhere, and
a chart this simple needs none)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from experiments.stats import Interval

COLOURS = ("#8c959f", "#1f6feb", "#1a7f37", "#9a6700", "#cf222e", "#8250df")
WIDTH, HEIGHT = 360, 200
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 56, 28, 24


def _number(value: float) -> str:
    return f"{value:.3g}"


def interval_chart_svg(title: str, bars: Sequence[tuple[str, Interval]], *, first_colour: int = 0) -> SafeString:
    """One bar per (label, interval): its height the estimate, a whisker from low to high; a zero line when the
    values straddle zero (differences). Bar i takes colour `first_colour + i` (an arm keeps its colour)."""
    values = [v for _, interval in bars for v in (interval.estimate, interval.low, interval.high) if v is not None]
    top = max([0.0, *values]) or 1.0
    bottom = min([0.0, *values])
    span = (top - bottom) * 1.1 or 1.0
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def y(value: float) -> float:
        return MARGIN_TOP + (top + (top - bottom) * 0.05 - value) / span * plot_height

    slot = (WIDTH - MARGIN_LEFT) / max(len(bars), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="experiment-chart">',
        f"<title>{escape(title)}</title>",
        f'<text x="{WIDTH / 2:.0f}" y="14" text-anchor="middle" font-size="12" font-weight="bold">'
        f"{escape(title)}</text>",
        f'<line x1="{MARGIN_LEFT}" y1="{y(0):.1f}" x2="{WIDTH}" y2="{y(0):.1f}" stroke="#444" stroke-width="1"/>',
        f'<text x="{MARGIN_LEFT - 4}" y="{y(top):.1f}" text-anchor="end" font-size="10">{_number(top)}</text>',
        f'<text x="{MARGIN_LEFT - 4}" y="{y(0) + 3:.1f}" text-anchor="end" font-size="10">0</text>',
    ]
    if bottom < 0:
        parts.append(f'<text x="{MARGIN_LEFT - 4}" y="{y(bottom):.1f}" text-anchor="end" font-size="10">'
                     f"{_number(bottom)}</text>")
    for i, (label, interval) in enumerate(bars):
        centre = MARGIN_LEFT + slot * (i + 0.5)
        bar_width = slot * 0.5
        if interval.estimate is not None:
            y0, y1 = sorted((y(0), y(interval.estimate)))
            parts.append(
                f'<rect x="{centre - bar_width / 2:.1f}" y="{y0:.1f}" width="{bar_width:.1f}" '
                f'height="{max(y1 - y0, 0.5):.1f}" fill="{COLOURS[(first_colour + i) % len(COLOURS)]}">'
                f"<title>{escape(label)}: {_number(interval.estimate)}"
                + (f" [{_number(interval.low)}, {_number(interval.high)}]"
                   if interval.low is not None and interval.high is not None else "")
                + "</title></rect>"
            )
        if interval.low is not None and interval.high is not None:
            low, high = y(interval.low), y(interval.high)
            parts += [
                f'<line x1="{centre:.1f}" y1="{low:.1f}" x2="{centre:.1f}" y2="{high:.1f}" stroke="#000" '
                f'stroke-width="1.5" class="whisker"/>',
                f'<line x1="{centre - 6:.1f}" y1="{low:.1f}" x2="{centre + 6:.1f}" y2="{low:.1f}" stroke="#000"/>',
                f'<line x1="{centre - 6:.1f}" y1="{high:.1f}" x2="{centre + 6:.1f}" y2="{high:.1f}" stroke="#000"/>',
            ]
        parts.append(f'<text x="{centre:.1f}" y="{HEIGHT - 10}" text-anchor="middle" font-size="11">'
                     f"{escape(label)}</text>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every interpolated text above is escaped

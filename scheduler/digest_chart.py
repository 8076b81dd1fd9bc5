"""The digest's PNG chart (matplotlib with the Agg backend: no display, safe in threads)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (the backend must be chosen first)
from matplotlib.ticker import MaxNLocator  # noqa: E402

from governance.digest_figures import DigestFigures  # noqa: E402

COLOURS = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#B279A2", "#72B7B2"]


def render_chart(figures: DigestFigures) -> bytes:
    """A horizontal bar per figure; a Figure object (not pyplot) keeps no global state."""
    series = figures.chart_series()
    labels = [label for label, _ in series]
    values = [value for _, value in series]
    figure = Figure(figsize=(7, 3.2), dpi=100)
    axes = figure.add_subplot()
    bars = axes.barh(labels[::-1], values[::-1], color=COLOURS[: len(values)][::-1])
    axes.bar_label(bars, padding=3)
    axes.set_title(f"{figures.organisation}: week to {figures.week_end:%d %b %Y}")
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_xlim(0, max([*values, 1]) * 1.15)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts, not fractions
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()

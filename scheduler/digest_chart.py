"""The PNG charts of the weekly digest and the management review (matplotlib with the Agg
backend: no display, safe in threads)."""

from __future__ import annotations

import io
from datetime import timedelta

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (the backend must be chosen first)
from matplotlib.ticker import MaxNLocator  # noqa: E402

from governance.digest_figures import DigestFigures  # noqa: E402
from governance.management_review.models import ReviewInputs  # noqa: E402

COLOURS = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#B279A2", "#72B7B2"]


def render_chart(figures: DigestFigures) -> bytes:
    title = f"{figures.organisation}: week to {figures.week_end:%d %b %Y}"
    return render_bars(title, figures.chart_series())


def render_review_chart(inputs: ReviewInputs) -> bytes:
    """The management review's period in numbers."""
    last = inputs.period_end - timedelta(days=1)
    title = f"{inputs.organisation}: {inputs.period_start:%d %b %Y} to {last:%d %b %Y}"
    return render_bars(title, inputs.chart_series())


def render_bars(title: str, series: list[tuple[str, int]]) -> bytes:
    """A horizontal bar per figure; a Figure object (not pyplot) keeps no global state."""
    labels = [label for label, _ in series]
    values = [value for _, value in series]
    figure = Figure(figsize=(7, 0.4 * len(series) + 0.8), dpi=100)
    axes = figure.add_subplot()
    colours = [COLOURS[i % len(COLOURS)] for i in range(len(values))]
    bars = axes.barh(labels[::-1], values[::-1], color=colours[::-1])
    axes.bar_label(bars, padding=3)
    axes.set_title(title)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_xlim(0, max([*values, 1]) * 1.15)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts, not fractions
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()

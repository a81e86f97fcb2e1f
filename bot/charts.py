"""The staff charts: aging, the cash-flow forecast and the DSO trend, as PNG bytes.

matplotlib with the Agg backend (no display), imported once and only when a chart is drawn, so a
process that never draws one never pays for the import; a process serving the staff chat
imports it when the handlers are registered (`warm_up`). Each chart takes the figures as the pure
modules give them (`context()`: plain JSON values, the same the caption is rendered from and an
outbox row stores) and the staff language; its words come from templates/<lang>/staff/charts/
labels.txt and amounts are written as bot/formats.money writes them ("1.234,56 €").
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.formats import date, money
from bot.texts import render

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DPI = 100
SIZE = (8.0, 4.5)  # inches: 800 x 450 pixels, readable in a Telegram chat
COLOURS = {"invoices": "#2f6f9f", "promises": "#5aa469", "instalments": "#e0a030"}
AGING_COLOURS = ("#5aa469", "#e0c040", "#e09030", "#d05a30", "#a02020")
_lock = threading.Lock()  # pyplot's state is global; the object API below never touches it


@lru_cache(maxsize=1)
def _matplotlib() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure


def warm_up() -> None:
    """Import matplotlib now (about a second), so the first chart a staff member asks for does
    not wait for it: called when the staff chat's handlers are registered."""
    _matplotlib()


@lru_cache(maxsize=4)
def labels(language: str) -> dict[str, str]:
    """The charts' words: templates/<lang>/staff/charts/labels.txt, one `key: text` a line."""
    lines = render("staff/charts/labels.txt", language).splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def _figure() -> tuple[Figure, Axes]:
    figure = _matplotlib()(figsize=SIZE, dpi=DPI)
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", alpha=0.3)
    return figure, axes


def _money_axis(axes: Axes, language: str) -> None:
    from matplotlib.ticker import FuncFormatter

    axes.yaxis.set_major_formatter(
        FuncFormatter(lambda value, _pos: money(round(value), "EUR", language))
    )


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.tight_layout()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def aging_chart(figures: dict[str, Any], language: str) -> bytes:
    words = labels(language)
    figure, axes = _figure()
    buckets = figures["buckets"]
    names = [words[f"bucket_{bucket['key']}"] for bucket in buckets]
    bars = axes.bar(names, [bucket["cents"] for bucket in buckets], color=AGING_COLOURS)
    for bar, bucket in zip(bars, buckets, strict=True):
        axes.annotate(
            f"{bucket['count']}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=9,
        )
    _money_axis(axes, language)
    axes.set_title(words["aging_title"].format(day=date(figures["today"], language, "medium")))
    axes.set_xlabel(words["aging_x"])
    return _png(figure)


def cashflow_chart(figures: dict[str, Any], language: str) -> bytes:
    words = labels(language)
    figure, axes = _figure()
    weeks = figures["weeks"]
    names = [date(week["start"], language, "dd/MM") for week in weeks]
    bottom = [0] * len(weeks)
    for kind in ("invoices", "promises", "instalments"):
        heights = [week[f"{kind}_cents"] for week in weeks]
        axes.bar(names, heights, bottom=bottom, color=COLOURS[kind], label=words[kind])
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.axhline(figures["overdue_cents"], color="#a02020", linestyle="--", label=words["overdue"])
    _money_axis(axes, language)
    axes.legend(loc="upper right", fontsize=8)
    axes.set_title(words["cashflow_title"].format(weeks=len(weeks)))
    axes.set_xlabel(words["cashflow_x"])
    return _png(figure)


def dso_chart(figures: dict[str, Any], language: str) -> bytes:
    words = labels(language)
    figure, axes = _figure()
    points = [p for p in figures["points"] if p["dso_days"] is not None]
    days = [dt.date.fromisoformat(p["day"]) for p in points]
    axes.plot(days, [p["dso_days"] for p in points], marker="o", color=COLOURS["invoices"])
    axes.set_xticks(days, [date(day, language, "dd/MM") for day in days])
    axes.set_ylim(bottom=0)
    axes.set_title(words["dso_title"].format(window=figures["window_days"]))
    axes.set_ylabel(words["dso_y"])
    return _png(figure)


CHARTS: dict[str, Callable[[dict[str, Any], str], bytes]] = {
    "aging": aging_chart,
    "cashflow": cashflow_chart,
    "dso": dso_chart,
}


def draw(kind: str, figures: dict[str, Any], language: str) -> bytes:
    """The PNG of chart `kind` ("aging", "cashflow", "dso")."""
    with _lock:
        return CHARTS[kind](figures, language)

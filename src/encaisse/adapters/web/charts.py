"""Cash-forecast charts drawn with matplotlib: inline SVG for the page, PNG and PDF for the report.

Only the object API is used (``matplotlib.figure.Figure`` on the Agg/SVG/PDF canvases), never
``pyplot``: no global figure state is shared between the threads of the web server.

The pages are served with ``Content-Security-Policy: style-src 'self'``, which forbids ``style``
attributes and ``<style>`` elements, including inside inline SVG. :func:`to_svg` therefore turns
matplotlib's ``style="fill: #…; stroke-width: …"`` into SVG presentation attributes (which the policy
allows), drops the ``<style>`` and metadata elements and prefixes every ``id`` so two charts can
share a page.

>>> from datetime import date
>>> from decimal import Decimal
>>> row = ForecastRow(date(2026, 3, 2), Decimal("100"), Decimal("80"), Decimal("120"))
>>> svg = to_svg(forecast_figure(ChartData(date(2026, 3, 4), Decimal("90"), (row,))), "demo")
>>> svg.startswith("<svg") and "style=" not in svg and 'id="demo-' in svg
True
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from defusedxml import ElementTree as DefusedET
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from encaisse.adapters.pdf.fr_format import fr_amount, fr_date
from encaisse.domain.forecast.engine import ForecastRow

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
#: SVG presentation attributes that may replace a CSS declaration of the same name.
PRESENTATION = frozenset(
    {
        "fill",
        "fill-opacity",
        "fill-rule",
        "stroke",
        "stroke-width",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-opacity",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-miterlimit",
        "opacity",
        "clip-path",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
        "text-anchor",
    }
)
_URL_REF = re.compile(r"url\(#([^)]+)\)")
_CHART_ID = re.compile(r"^[a-z][a-z0-9-]{0,40}$")

BLUE, BAND, RED, GREY, ORANGE = "#0b5cad", "#9cc3ea", "#b42318", "#4b5563", "#b35c00"


@dataclass(frozen=True)
class ChartData:
    """What a forecast chart shows (weekly rows are drawn at their Sunday, daily rows at their day)."""

    today: date
    opening: Decimal
    rows: Sequence[ForecastRow]
    daily: bool = False
    threshold: Decimal | None = None
    past: Sequence[tuple[date, Decimal]] = ()  # actual closing balances before today
    scenario: Sequence[ForecastRow] | None = None
    scenario_label: str = "Scénario"


def _x(row: ForecastRow, daily: bool) -> date:
    return row.start if daily else row.start + timedelta(days=6)


def _euros(value: float, _pos: object = None) -> str:
    return fr_amount(Decimal(f"{value:.0f}"), cents=False)


def draw_forecast(ax: Any, data: ChartData) -> None:
    """Draw the forecast on ``ax``: past balances, expected curve and its band, threshold, scenario."""
    xs = [data.today] + [_x(r, data.daily) for r in data.rows]
    expected = [float(data.opening)] + [float(r.expected) for r in data.rows]
    low = [float(data.opening)] + [float(r.low) for r in data.rows]
    high = [float(data.opening)] + [float(r.high) for r in data.rows]
    ax.fill_between(xs, low, high, color=BAND, alpha=0.55, linewidth=0, label="Fourchette basse – haute")
    ax.plot(xs, expected, color=BLUE, linewidth=2.2, marker="o", markersize=3, label="Solde prévu")
    if data.past:
        px = [d for d, _ in data.past] + [data.today]
        py = [float(v) for _, v in data.past] + [float(data.opening)]
        ax.plot(px, py, color=GREY, linewidth=1.8, label="Solde réel (13 dernières semaines)")
    if data.scenario is not None:
        sx = [data.today] + [_x(r, data.daily) for r in data.scenario]
        sy = [float(data.opening)] + [float(r.expected) for r in data.scenario]
        ax.plot(sx, sy, color=ORANGE, linewidth=2.2, linestyle="--", label=data.scenario_label)
    if data.threshold is not None:
        ax.axhline(
            float(data.threshold),
            color=RED,
            linewidth=1.4,
            linestyle=":",
            label=f"Seuil d'alerte ({fr_amount(data.threshold, cents=False)})",
        )
    ax.axvline(data.today, color=GREY, linewidth=0.8, alpha=0.6)
    ax.yaxis.set_major_formatter(FuncFormatter(_euros))
    ax.xaxis.set_major_formatter(DateFormatter("%d/%m"))  # type: ignore[no-untyped-call]
    ax.grid(True, color="#d5dbe3", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), fontsize=9, frameon=False, ncols=3)
    ax.tick_params(labelsize=9)


def forecast_figure(data: ChartData, *, width: float = 9.0, height: float = 4.0) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    draw_forecast(fig.add_subplot(), data)
    return fig


def to_svg(fig: Figure, chart_id: str, *, title: str = "Prévision de trésorerie") -> str:
    """The figure as an ``<svg>`` element to put inline in a page served under a strict CSP."""
    if not _CHART_ID.match(chart_id):
        raise ValueError(f"chart id {chart_id!r}: lowercase letters, digits and dashes only")
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = DefusedET.fromstring(buf.getvalue())
    _strip(root)
    ids: dict[str, str] = {}
    for el in root.iter():
        old = el.get("id")
        if old:
            ids[old] = f"{chart_id}-{old}"
            el.set("id", ids[old])
    for el in root.iter():
        _presentation(el)
        for name, value in list(el.attrib.items()):
            if "url(#" in value:
                el.set(name, _URL_REF.sub(lambda m: f"url(#{ids.get(m.group(1), m.group(1))})", value))
            elif name == f"{{{XLINK_NS}}}href" and value.startswith("#"):
                el.set(name, "#" + ids.get(value[1:], value[1:]))
    for key in ("width", "height"):
        root.attrib.pop(key, None)
    root.set("width", "100%")
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart_id}-title")
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    label = ET.Element(f"{{{SVG_NS}}}title", {"id": f"{chart_id}-title"})
    label.text = title
    root.insert(0, label)
    return ET.tostring(root, encoding="unicode")


def _strip(parent: ET.Element) -> None:
    for child in list(parent):
        tag = child.tag.rsplit("}", 1)[-1]
        if tag in ("style", "metadata", "script", "foreignObject"):
            parent.remove(child)
        else:
            _strip(child)


def _presentation(el: ET.Element) -> None:
    style = el.attrib.pop("style", None)
    if not style:
        return
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if name in PRESENTATION and value and name not in el.attrib:
            el.set(name, value)


def to_png(fig: Figure, *, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def to_pdf(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf", metadata={"Title": "Prévision de trésorerie", "Creator": "Encaisse"})
    return buf.getvalue()


@dataclass(frozen=True)
class Report:
    """The exportable cash report: heading lines, the chart, the weekly table, alert sentences."""

    company: str
    chart: ChartData
    weeks: Sequence[ForecastRow]
    facts: Sequence[str]  # "Trésorerie au 04/12/2026 : 12 345,67 €", …
    alerts: Sequence[str]


def report_figure(report: Report) -> Figure:
    """An A4 portrait page: title, facts, chart, the 13-week table, alerts."""
    fig = Figure(figsize=(8.27, 11.69))
    fig.text(0.06, 0.965, f"Prévision de trésorerie — {report.company}", fontsize=15, weight="bold")
    fig.text(0.06, 0.945, f"Établie le {fr_date(report.chart.today)}", fontsize=9, color=GREY)
    y = 0.92
    for line in report.facts:
        fig.text(0.06, y, line, fontsize=10)
        y -= 0.018
    chart_ax = fig.add_axes((0.12, 0.56, 0.83, 0.30))
    draw_forecast(chart_ax, report.chart)
    table_ax = fig.add_axes((0.06, 0.13, 0.88, 0.35))
    table_ax.axis("off")
    cells = [
        [f"{fr_date(w.start)}", fr_amount(w.expected), fr_amount(w.low), fr_amount(w.high)]
        for w in report.weeks
    ]
    if cells:
        table = table_ax.table(
            cellText=cells,
            colLabels=["Semaine du", "Solde prévu", "Bas", "Haut"],
            loc="upper center",
            cellLoc="right",
            colLoc="center",
        )
        table.auto_set_font_size(False)
        table.set_fontsize(8.5)
        table.scale(1, 1.25)
    y = 0.11
    for line in report.alerts[:4]:
        fig.text(0.06, y, line, fontsize=9, color=RED if line.startswith("⚠") else GREY, wrap=True)
        y -= 0.02
    return fig

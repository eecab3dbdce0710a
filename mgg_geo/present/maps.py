"""Maps for notebooks and reports: static (matplotlib) and interactive (folium).

Conventions
-----------
* Classes come from ``mapclassify`` (quantiles by default), computed on the
  present values only; missing values form their own grey class
  "geen gegevens" and are never coloured as a value.
* Boundaries are simplified for display only (``DISPLAY_TOLERANCE_M``);
  every computation uses the unsimplified EPSG:28992 geometry.
* All text shown on a map (names, labels, tooltips, popups) is Dutch and
  HTML-escaped: register names are data, never markup.
* Static maps are embedded in the report as PNG (``<img>`` with alt text),
  so the report reads offline, in e-mail and in print; the interactive maps
  are separate offline pages (:mod:`mgg_geo.present.webmap`).
"""

from __future__ import annotations

import base64
import html
import io

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from mgg_geo.present import fmt  # noqa: E402

DISPLAY_TOLERANCE_M = 50.0
NO_DATA = "geen gegevens"
NO_DATA_COLOUR = "#c8c8c8"
SEQUENTIAL = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")
COVERAGE_COLOURS = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
PROGRAMME_COLOURS = {"STORM": "#1b9e77", "KoPPeLing": "#d95f02", "Move aHead": "#7570b3"}
OTHER_COLOUR = "#666666"
#: Marker per placement precision: filled circle for an exact location or address, square for a postcode or
#: town, triangle for an area (the last two are approximate).
PLACEMENT_MARKERS = {"exact": "o", "address": "o", "postcode": "s", "town": "s", "area": "^"}
APPROXIMATE = ("town", "area")
#: Fixed coverage classes (see mgg_geo.analysis.coverage.COVERAGE_BREAKS): laag, midden, hoog.
COVERAGE_CLASS_COLOURS = {1: "#deebf7", 2: "#6baed6", 3: "#08519c"}
#: 3x3 bivariate palette: BIVARIATE[need_class][coverage_class]; target cell 3-1 is the darkest red.
BIVARIATE = {
    1: {1: "#e8e8e8", 2: "#b5c0da", 3: "#6c83b5"},
    2: {1: "#dfb0d6", 2: "#a5add3", 3: "#5698b9"},
    3: {1: "#be64ac", 2: "#8c62aa", 3: "#3b4994"},
}
ATTRIBUTION = "Kaart: Kadaster / Centraal Bureau voor de Statistiek, {year}; vereenvoudigd voor weergave."


def display_geometry(frame: gpd.GeoDataFrame, tolerance: float = DISPLAY_TOLERANCE_M) -> gpd.GeoDataFrame:
    """A copy with geometry simplified for display (EPSG:28992 in, same CRS out)."""
    out = frame.copy()
    out["geometry"] = frame.geometry.simplify(tolerance, preserve_topology=True)
    return out


def classes(values: pd.Series, *, bins: list[float] | None = None, k: int = 5, decimals: int = 1,
            unit: str = "") -> tuple[pd.Series, list[str]]:
    """Classes of the present values by ``bins`` (upper bounds; default: ``k`` quantiles); NaN gets class -1.

    Returns
    -------
    (pandas.Series, list of str)
        Class per value (0..n-1, -1 for missing) and Dutch legend labels.
    """
    x = pd.to_numeric(values, errors="coerce")
    present = x.dropna()
    out = pd.Series(-1, index=values.index, dtype="int64")
    if present.empty:
        return out, []
    if bins is None:
        bins = list(np.unique(np.quantile(present, np.linspace(0, 1, k + 1)[1:])))
    bins = list(bins)
    bins[-1] = max(bins[-1], float(present.max()))  # values beyond precomputed bins fall in the top class
    out[present.index] = np.minimum(np.searchsorted(bins, present.to_numpy(), side="left"), len(bins) - 1)
    lower = [float(present.min())] + bins[:-1]
    labels_ = [f"{fmt.number(lo, decimals)} – {fmt.number(hi, decimals)}{' ' + unit if unit else ''}"
               for lo, hi in zip(lower, bins, strict=True)]
    return out, labels_


def _image(fig, alt: str, caption: str = "") -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode()
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure class="mgg-kaart"><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
            f'style="max-width:100%;height:auto">{cap}</figure>')


class Figure:
    """A rendered static map: shows as an image in Jupyter and in the HTML report."""

    def __init__(self, html_text: str):
        self.html = html_text

    def _repr_html_(self) -> str:
        return self.html


def _base_axes(areas: gpd.GeoDataFrame, title: str):
    fig, ax = plt.subplots(figsize=(9.0, 6.5))
    fig.subplots_adjust(left=0.01, right=0.68, top=0.93, bottom=0.05)  # the right third holds the legends
    ax.set_axis_off()
    ax.set_title(title, fontsize=12, loc="left")
    return fig, ax


def _finish(fig, ax, handles, legend_title: str, year) -> None:
    ax.legend(handles=handles, title=legend_title, loc="upper left", bbox_to_anchor=(1.04, 1.0), frameon=False,
              fontsize=8, title_fontsize=9)
    fig.text(0.01, 0.01, ATTRIBUTION.format(year=year), fontsize=7, color="#555555")


def choropleth(areas: gpd.GeoDataFrame, column: str, *, title: str, legend_title: str, colours=SEQUENTIAL,
               k: int = 5, decimals: int = 1, unit: str = "", year: int | str = "", sites=None,
               alt: str | None = None, caption: str = "", bins: list[float] | None = None) -> Figure:
    """Static choropleth of ``column`` with a grey "geen gegevens" class (and optional initiative markers).

    ``bins``: precomputed upper class bounds (default: quantiles of the shown values).
    """
    shown = display_geometry(areas)
    cls, names = classes(shown[column], bins=bins, k=min(k, len(colours)), decimals=decimals, unit=unit)
    palette = list(colours)[-len(names):] if names else []
    fig, ax = _base_axes(shown, title)
    face = [NO_DATA_COLOUR if c < 0 else palette[c] for c in cls]
    shown.plot(ax=ax, color=face, edgecolor="white", linewidth=0.4)
    handles = [Patch(facecolor=p, edgecolor="#999999", label=lab) for p, lab in zip(palette, names, strict=True)]
    if (cls < 0).any():
        handles.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor="#999999", label=NO_DATA))
    if sites is not None and len(sites):
        handles += _plot_sites(ax, sites)
    _finish(fig, ax, handles, legend_title, year)
    return Figure(_image(fig, alt or f"Kaart: {title}", caption))


def coverage_map(areas: gpd.GeoDataFrame, *, sites=None, year: int | str = "", title: str) -> Figure:
    """The coverage measure (share of the target group within 3 km of a physical site) in its fixed classes."""
    from mgg_geo.analysis.coverage import coverage_class

    shown = display_geometry(areas)
    cls = coverage_class(shown["reach"])
    fig, ax = _base_axes(shown, title)
    shown.plot(ax=ax, color=[COVERAGE_CLASS_COLOURS.get(c, NO_DATA_COLOUR) if c == c else NO_DATA_COLOUR
                             for c in cls], edgecolor="white", linewidth=0.4)
    handles = [Patch(facecolor=COVERAGE_CLASS_COLOURS[c], edgecolor="#999999", label=text) for c, text in
               ((3, "hoog: twee derde of meer"), (2, "midden: een tot twee derde"), (1, "laag: minder dan een derde"))]
    if sites is not None and len(sites):
        handles += _plot_sites(ax, sites)
    _finish(fig, ax, handles, "Deel van de doelgroep binnen 3 km", year)
    caption = ("Dekking: het deel van de doelgroep dat binnen 3 km (hemelsbreed) van een fysieke locatie woont, "
               "gemeten per buurt. Gemeentebreed aanbod heeft geen locatie en staat in de kerncijfers.")
    return Figure(_image(fig, f"Kaart: {title}", caption))


def _plot_sites(ax, sites: gpd.GeoDataFrame) -> list:
    """Physical sites, each point drawn once: a number beside it counts the sites placed there (approximate
    placements on the same area stack up). Area-wide offers have no location and are not drawn."""
    from mgg_geo.analysis.coverage import is_area_wide

    physical = sites[~is_area_wide(sites)]
    if physical.empty:
        return []
    frame = pd.DataFrame({"x": physical.geometry.x.round(0), "y": physical.geometry.y.round(0),
                          "programme": physical["programme"].where(physical["programme"].isin(PROGRAMME_COLOURS),
                                                                   "overig"),
                          "placement": physical["placement"]})
    for (x, y), group in frame.groupby(["x", "y"]):
        programmes = group["programme"].unique()
        colour = PROGRAMME_COLOURS.get(programmes[0], OTHER_COLOUR) if len(programmes) == 1 else OTHER_COLOUR
        approximate = group["placement"].isin(APPROXIMATE).all()
        marker = PLACEMENT_MARKERS.get(group["placement"].iloc[0], "o")
        ax.scatter([x], [y], s=40, marker=marker, c="white" if approximate else colour, edgecolors=colour
                   if approximate else "black", linewidths=1.4 if approximate else 0.6, zorder=5)
        if len(group) > 1:
            ax.annotate(str(len(group)), (x, y), xytext=(5, 4), textcoords="offset points", fontsize=8,
                        fontweight="bold", zorder=6, bbox={"boxstyle": "round,pad=0.15", "fc": "white", "lw": 0.5})
    handles = [Line2D([], [], marker="o", linestyle="", markerfacecolor=PROGRAMME_COLOURS.get(p, OTHER_COLOUR),
                      markeredgecolor="black", label=f"locatie: {p}") for p in sorted(set(frame["programme"]))]
    handles.append(Line2D([], [], marker="^", linestyle="", markerfacecolor="white", markeredgecolor="#444444",
                          label="open symbool: plek bij benadering"))
    if frame.duplicated(["x", "y"]).any():
        handles.append(Line2D([], [], linestyle="", label="getal: aantal locaties op dat punt"))
    return handles


def bivariate(areas: gpd.GeoDataFrame, *, title: str, year: int | str = "", sites=None, caption: str = "") -> Figure:
    """Static 3x3 need x coverage map with its legend grid; unranked areas grey."""
    shown = display_geometry(areas)
    fig, ax = _base_axes(shown, title)
    _plot_bivariate(ax, shown, linewidth=0.4)
    handles = []
    if sites is not None and len(sites):
        handles = _plot_sites(ax, sites)
    if (shown["gap_class"] == "").any():
        handles.append(UNRANKED_PATCH)
    if handles:
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(1.04, 0.0), frameon=False, fontsize=8)
    _bivariate_legend(fig.add_axes([0.76, 0.58, 0.17, 0.24]))
    fig.text(0.01, 0.01, ATTRIBUTION.format(year=year), fontsize=7, color="#555555")
    alt = (f"Kaart: {title}. Kleur per gebied: behoefte (laag, midden, hoog) tegen dekking (laag, midden, hoog); "
           "de donkerste kleur is hoge behoefte en lage dekking.")
    return Figure(_image(fig, alt, caption))


def _plot_bivariate(ax, frame: gpd.GeoDataFrame, *, linewidth: float) -> None:
    """Ranked areas in their 3x3 class colour; unranked areas white with grey hatching."""
    ranked = frame["gap_class"] != ""
    if ranked.any():
        frame[ranked].plot(ax=ax, color=[BIVARIATE[int(n)][int(c)] for n, c in
                                         zip(frame.loc[ranked, "need_class"], frame.loc[ranked, "coverage_class"], strict=True)],
                           edgecolor="white", linewidth=linewidth)
    if (~ranked).any():
        frame[~ranked].plot(ax=ax, facecolor="white", edgecolor=UNRANKED_COLOUR, hatch="////", linewidth=linewidth)


UNRANKED_COLOUR = "#9a9a9a"
UNRANKED_PATCH = Patch(facecolor="white", edgecolor=UNRANKED_COLOUR, hatch="////", label="niet gerangschikt")


def _bivariate_legend(inset) -> None:
    for n in (1, 2, 3):
        for c in (1, 2, 3):
            inset.add_patch(plt.Rectangle((c - 1, n - 1), 1, 1, facecolor=BIVARIATE[n][c], edgecolor="white"))
    inset.set_xlim(0, 3)
    inset.set_ylim(0, 3)
    inset.set_xticks([0.5, 1.5, 2.5], ["laag", "midden", "hoog"], fontsize=7)
    inset.set_yticks([0.5, 1.5, 2.5], ["laag", "midden", "hoog"], fontsize=7)
    inset.set_xlabel("dekking →", fontsize=8)
    inset.set_ylabel("behoefte →", fontsize=8)
    inset.tick_params(length=0)
    for side in inset.spines.values():
        side.set_visible(False)


def small_multiples(areas: gpd.GeoDataFrame, *, year: int | str = "") -> Figure:
    """The 10 municipalities side by side, each coloured by its bivariate class, with the full 3x3 legend."""
    from mgg_geo.data import regions

    shown = display_geometry(areas, tolerance=100.0)
    fig, axes = plt.subplots(2, 5, figsize=(13, 6.2))
    for ax, (code, name) in zip(axes.ravel(), regions.MUNICIPALITIES.items(), strict=True):
        part = shown[shown["gemeente_code"] == code]
        if len(part):
            _plot_bivariate(ax, part, linewidth=0.3)
        ax.set_title(name, fontsize=10)
        ax.set_axis_off()
    fig.subplots_adjust(bottom=0.16, right=0.86)
    _bivariate_legend(fig.add_axes([0.885, 0.40, 0.09, 0.2]))
    fig.legend(handles=[UNRANKED_PATCH], loc="lower right",
               bbox_to_anchor=(0.99, 0.2), frameon=False, fontsize=8)
    fig.text(0.01, 0.005, ATTRIBUTION.format(year=year), fontsize=7, color="#555555")
    alt = "Tien kaartjes, één per gemeente, gekleurd naar behoefte tegen dekking."
    return Figure(_image(fig, alt, "Behoefte tegen dekking per gemeente (zelfde klassen als in de gemeenterapporten)."))


def whatif_map(areas: gpd.GeoDataFrame, effect: pd.DataFrame, new_sites: gpd.GeoDataFrame, *, existing=None,
               year: int | str = "") -> Figure:
    """The suggested new sites (numbered stars) and how much coverage each area gains."""
    shown = display_geometry(areas)
    gain = (effect["reach_after"] - effect["reach_before"]).reindex(shown.index).fillna(0.0)
    bands = ((0.0, "#f2f2f2", "geen extra dekking"), (1 / 3, "#c7e9c0", "tot een derde erbij"),
             (2 / 3, "#74c476", "een tot twee derde erbij"), (1.01, "#238b45", "twee derde of meer erbij"))
    colour = [next(c for upper, c, _ in bands if g <= upper + 1e-12) if g > 1e-12 else bands[0][1] for g in gain]
    fig, ax = _base_axes(shown, "Voorstel: nieuwe locaties en wat ze bereiken")
    shown.plot(ax=ax, color=colour, edgecolor="white", linewidth=0.4)
    if existing is not None and len(existing):
        from mgg_geo.analysis.coverage import is_area_wide

        physical = existing[~is_area_wide(existing)]
        ax.scatter(physical.geometry.x, physical.geometry.y, s=14, c="#777777", zorder=4)
    ax.scatter(new_sites.geometry.x, new_sites.geometry.y, s=170, marker="*", c="#d7301f", edgecolors="black",
               linewidths=0.6, zorder=6)
    for _, site in new_sites.iterrows():
        ax.annotate(str(int(site["step"])), (site.geometry.x, site.geometry.y), xytext=(7, 5),
                    textcoords="offset points", fontsize=9, fontweight="bold", zorder=7)
    handles = [Patch(facecolor=c, edgecolor="#999999", label=t) for _, c, t in bands]
    handles += [Line2D([], [], marker="*", linestyle="", markersize=12, markerfacecolor="#d7301f",
                       markeredgecolor="black", label="nieuwe locatie (stap)"),
                Line2D([], [], marker="o", linestyle="", markerfacecolor="#777777", markeredgecolor="#777777",
                       label="bestaande locatie")]
    _finish(fig, ax, handles, "Extra dekking per gebied", year)
    alt = (f"Kaart met {len(new_sites)} voorgestelde nieuwe locaties en de gebieden die daardoor meer jongeren "
           "binnen 3 km van een locatie hebben.")
    return Figure(_image(fig, alt))


def slope_chart(series: pd.DataFrame, changes: pd.DataFrame, names: pd.Series, *, indicator: str, title: str,
                unit: str = "%") -> Figure:
    """Every area's value over the vintages, one line per area, coloured by its latest change.

    Parameters
    ----------
    series
        ``code``, ``indicator``, ``year``, ``value``, ``estimated`` (see :func:`mgg_geo.analysis.trends.changes`).
    changes
        The changes (``code``, ``indicator``, ``verdict``): rise orange, fall blue, no clear change grey.
    names
        Area names by code, for the labels of areas that changed clearly.
    """
    from mgg_geo.present.labels import VERDICT_COLOURS, VERDICTS

    part = series[series["indicator"] == indicator]
    verdicts = changes[changes["indicator"] == indicator].set_index("code")["verdict"]
    fig, ax = plt.subplots(figsize=(8.0, 5.0))
    fig.subplots_adjust(left=0.09, right=0.70, top=0.90, bottom=0.10)
    ends = []
    for code, line in part.sort_values("year").groupby("code"):
        verdict = verdicts.get(code, "none")
        dashed = bool(line["estimated"].any())
        ax.plot(line["year"], line["value"], color=VERDICT_COLOURS[verdict], linewidth=1.6 if verdict != "none" else 1,
                linestyle="--" if dashed else "-", marker="o", markersize=3, zorder=3 if verdict != "none" else 2)
        if verdict != "none":
            ends.append((float(line["value"].iloc[-1]), str(names.get(code, code)), VERDICT_COLOURS[verdict],
                         line["year"].iloc[-1]))
    if ends:  # labels at the line ends, spread so that they do not overlap
        from matplotlib.transforms import offset_copy

        low, high = ax.get_ylim()
        gap = 0.035 * (high - low)
        shifted = offset_copy(ax.transData, fig=fig, x=6, y=0, units="points")
        placed: list[float] = []
        for y, text, colour, year in sorted(ends):
            label_y = max(y, placed[-1] + gap) if placed else y
            placed.append(label_y)
            ax.text(year, label_y, text, transform=shifted, fontsize=7, va="center", color=colour, clip_on=False)
    years = sorted(part["year"].unique())
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_ylabel(unit)
    ax.set_title(title, fontsize=12, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    handles = [Line2D([], [], color=VERDICT_COLOURS[k], label=VERDICTS[k]) for k in ("up", "down", "none")]
    handles.append(Line2D([], [], color="#555555", linestyle="--", label="omgerekend (schatting)"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.18, 1.0), frameon=False, fontsize=8)
    alt = f"Lijngrafiek: {title}, één lijn per gebied over de jaren."
    return Figure(_image(fig, alt))

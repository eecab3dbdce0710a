"""Static maps and charts for notebooks and reports (matplotlib), and the classes every map shares.

Conventions
-----------
* **One set of classes.** Every map, static or interactive, colours areas
  through the classifiers here (:func:`need_classes`,
  :func:`coverage_classes`, :func:`distance_classes`,
  :func:`bivariate_classes`), each returning a :class:`Classes`: a colour per
  area and the full legend, including "geen gegevens" when an area has no
  value. Missing values are never coloured as a value.
* **Comparable.** The need map is diverging and centred at 0 (the province
  average), with the province-wide bounds the analysis computed
  (:func:`mgg_geo.analysis.chain.need_breaks`); coverage has fixed classes
  (under 1/3, under 2/3, else); distance has breaks at 1, 3 and 5 km, the
  radii of the site counts.
* **Colour-blind safe.** The bivariate 3x3 palette is Cynthia Brewer's
  sequential-sequential blue/orange scheme, laid out so that high need and
  low coverage (class 3-1) is the darkest, most salient cell; the need
  palette is ColorBrewer PuOr. ``tests/test_maps.py`` checks with a
  colour-vision-deficiency simulation that every pair of classes stays
  distinguishable.
* **Context.** Municipality maps show the neighbouring municipalities in
  grey with their names, the municipality's outline, the names of its
  largest areas and a km scale bar.
* Boundaries are simplified for display only (``DISPLAY_TOLERANCE_M``);
  every computation uses the unsimplified EPSG:28992 geometry. Images are
  PNG at ``DPI`` (print resolution), embedded in the report.
* All text on a map is Dutch, through :mod:`mgg_geo.present.fmt` and
  :mod:`mgg_geo.present.labels`.
"""

from __future__ import annotations

import base64
import io
import textwrap
from dataclasses import dataclass

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.patheffects as path_effects  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib_scalebar.scalebar import ScaleBar  # noqa: E402
from shapely.geometry import box  # noqa: E402

from mgg_geo.analysis.coverage import RADII_M, coverage_class, is_area_wide  # noqa: E402
from mgg_geo.present import fmt, labels, pages  # noqa: E402

#: Simplification of boundaries for display (m, EPSG:28992).
DISPLAY_TOLERANCE_M = 50.0
#: Resolution of the map images (dots per inch): print quality.
DPI = 200
NO_DATA = "geen gegevens"
NO_DATA_COLOUR = "#ffffff"
NO_DATA_HATCH = "////"
NO_DATA_EDGE = "#8a8a8a"
#: Areas flagged "onvolledige gegevens" (too many need indicators missing): dotted over their class colour.
PARTIAL_HATCH = "..."
#: Mid grey: the dots show on the darkest (black) and the lightest (white) class alike.
PARTIAL_DOTS = "#8f8f8f"
PARTIAL_EDGE = "#111111"
#: Neighbouring municipalities and their labels.
NEIGHBOUR_COLOUR = "#e9e9e9"
NEIGHBOUR_TEXT = "#7a7a7a"
OUTLINE_COLOUR = "#222222"
#: Edges between areas: grey, so that the lightest class stays apart from its neighbours.
AREA_EDGE = "#8c8c8c"
SEQUENTIAL = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")
#: ColorBrewer PuOr, 6 classes: purple below the province average (less need), orange above (more need).
DIVERGING = ("#542788", "#998ec3", "#d8daeb", "#fee0b6", "#f1a340", "#b35806")
PROGRAMME_COLOURS = {"STORM": "#1b9e77", "KoPPeLing": "#d95f02", "Move aHead": "#7570b3"}
OTHER_COLOUR = "#666666"
#: Marker per placement precision: circle for an exact location or address, square for a postcode or
#: town, triangle for an area (the last two are approximate and drawn open).
PLACEMENT_MARKERS = {"exact": "o", "address": "o", "postcode": "s", "town": "s", "area": "^"}
APPROXIMATE = ("town", "area")
#: Fixed coverage classes (see :data:`mgg_geo.analysis.coverage.COVERAGE_BREAKS`): laag, midden, hoog.
COVERAGE_CLASS_COLOURS = {1: "#deebf7", 2: "#6baed6", 3: "#08519c"}
#: Distance to the nearest site: up to 1, 3, 5 km and beyond (the radii of the site counts).
DISTANCE_COLOURS = ("#08519c", "#6baed6", "#fdae6b", "#d94801")
#: Cynthia Brewer's sequential-sequential 3x3 scheme (blue x orange), as published (row-major, light corner
#: first). BIVARIATE[need_class][coverage_class] puts need on the orange axis and *lack* of coverage on the
#: blue axis, so 3-1 (hoge behoefte, lage dekking) gets the darkest cell.
BREWER_SEQSEQ2 = ("#f3f3f3", "#b4d3e1", "#509dc2", "#f3e6b3", "#b3b3b3", "#376387", "#f3b300", "#b36600", "#000000")
BIVARIATE = {n: {c: BREWER_SEQSEQ2[(3 - c) + 3 * (n - 1)] for c in (1, 2, 3)} for n in (1, 2, 3)}
ATTRIBUTION = "Kaart: Kadaster / Centraal Bureau voor de Statistiek, {year}; vereenvoudigd voor weergave."
#: Legend titles wrap at this many characters (the legend column is a third of the figure).
LEGEND_WIDTH = 34
#: Names of this many of a municipality's most populous areas are written on its maps.
PLACE_LABELS = 8


@dataclass(frozen=True)
class Classes:
    """Areas in classes, ready to draw: a colour per area (None: no value) and the full legend.

    Attributes
    ----------
    colours
        Hex colour per area (index of the areas); None where the area has no value.
    legend
        ``(colour, label)`` for every class, in legend order, whether or not an area falls in it.
    title
        Legend title (Dutch).
    no_data
        Label of the hatched class for areas without a value (e.g. "geen gegevens", "niet gerangschikt").
    """

    colours: pd.Series
    legend: list[tuple[str, str]]
    title: str
    no_data: str = NO_DATA

    @property
    def missing(self) -> pd.Series:
        """True for areas drawn as the hatched no-data class."""
        return self.colours.isna()


def _coloured(values: pd.Series, classes, palette) -> pd.Series:
    """The colour ``palette[class]`` per area, None where the value is missing."""
    return pd.Series([palette[int(c)] if v == v else None for c, v in zip(classes, values, strict=True)],
                     index=values.index, dtype="object")


def need_classes(values: pd.Series, bins: list[float], *, scope: str = "provincie") -> Classes:
    """The need index in six classes centred at 0 (the province average), by the bounds of the analysis.

    Parameters
    ----------
    values
        Need index per area (unitless; 0 = province average).
    bins
        Upper bounds ``[-b2, -b1, 0, b1, b2, top]`` (:func:`mgg_geo.analysis.chain.need_breaks`).
    scope
        ``provincie`` or ``gemeente``: where the bounds were cut (named in the legend title).
    """
    x = pd.to_numeric(values, errors="coerce")
    if len(bins) != 6:
        return Classes(pd.Series(None, index=values.index, dtype="object"), [], "Behoefte-index")
    b2, b1 = -bins[0], -bins[1]
    colours = _coloured(x, np.searchsorted(np.asarray(bins[:5], dtype="float64"), x.to_numpy(), side="left"),
                        DIVERGING)
    names = [f"{fmt.number(-b2, 2)} of lager", f"{fmt.number(-b2, 2)} tot {fmt.number(-b1, 2)}",
             f"{fmt.number(-b1, 2)} tot 0", f"0 tot {fmt.number(b1, 2)}",
             f"{fmt.number(b1, 2)} tot {fmt.number(b2, 2)}", f"hoger dan {fmt.number(b2, 2)}"]
    names[0] += " (minder behoefte)"
    names[-1] += " (meer behoefte)"
    where = "klassen van de provincie" if scope == "provincie" else "klassen binnen de gemeente"
    return Classes(colours, list(zip(DIVERGING, names, strict=True)),
                   f"Behoefte-index (0 = gemiddelde provincie; {where})")


def coverage_classes(reach: pd.Series) -> Classes:
    """The coverage measure (share of the target group within 3 km) in its three fixed classes."""
    classes = coverage_class(reach)  # the analysis' own classes
    colours = _coloured(classes, classes.fillna(1).to_numpy(), COVERAGE_CLASS_COLOURS)
    legend = [(COVERAGE_CLASS_COLOURS[c], text) for c, text in
              ((3, "hoog: twee derde of meer"), (2, "midden: een tot twee derde"), (1, "laag: minder dan een derde"))]
    return Classes(colours, legend, "Deel van de doelgroep binnen 3 km")


def distance_classes(nearest_km: pd.Series) -> Classes:
    """Distance to the nearest physical site in classes with breaks at 1, 3 and 5 km."""
    x = pd.to_numeric(nearest_km, errors="coerce")
    bounds = [r / 1000.0 for r in RADII_M]
    colours = _coloured(x, np.searchsorted(np.asarray(bounds), x.to_numpy(), side="left"), DISTANCE_COLOURS)
    a, b, c = (fmt.number(v) for v in bounds)
    legend = list(zip(DISTANCE_COLOURS, [f"tot {a} km", f"{a} tot {b} km", f"{b} tot {c} km", f"meer dan {c} km"],
                      strict=True))
    return Classes(colours, legend, "Afstand tot de dichtstbijzijnde locatie", "geen locatie")


def bivariate_classes(need_class: pd.Series, coverage_class: pd.Series) -> Classes:
    """Need x coverage in the 3x3 palette; areas without a class (not ranked) are hatched."""
    colours = pd.Series([BIVARIATE[int(n)][int(c)] if n == n and c == c else None
                         for n, c in zip(need_class, coverage_class, strict=True)],
                        index=need_class.index, dtype="object")
    legend = [(BIVARIATE[n][c], labels.gap_label(n, c)) for n in (3, 2, 1) for c in (1, 2, 3)]
    return Classes(colours, legend, "Behoefte tegen dekking", "niet gerangschikt")


def display_geometry(frame: gpd.GeoDataFrame, tolerance: float = DISPLAY_TOLERANCE_M) -> gpd.GeoDataFrame:
    """A copy with geometry simplified for display (EPSG:28992 in, same CRS out)."""
    out = frame.copy()
    out["geometry"] = frame.geometry.simplify(tolerance, preserve_topology=True)
    return out


def quantile_classes(values: pd.Series, *, k: int = 5, colours=SEQUENTIAL, decimals: int = 1, unit: str = "",
                     title: str = "") -> Classes:
    """Any indicator in ``k`` quantile classes of its present values (for exploring; reports use fixed classes)."""
    import mapclassify

    x = pd.to_numeric(values, errors="coerce")
    present = x.dropna()
    colours = list(colours)
    if present.empty:
        return Classes(pd.Series(None, index=values.index, dtype="object"), [], title)
    k = max(1, min(k, len(colours), present.nunique()))
    bins = list(mapclassify.Quantiles(present.to_numpy(), k=k).bins) if k > 1 else [float(present.max())]
    palette = colours[-len(bins):]
    out = _coloured(x, np.minimum(np.searchsorted(bins, x.to_numpy(), side="left"), len(bins) - 1), palette)
    lower = [float(present.min())] + bins[:-1]
    names = [f"{fmt.number(lo, decimals)} – {fmt.number(hi, decimals, unit)}"
             for lo, hi in zip(lower, bins, strict=True)]
    return Classes(out, list(zip(palette, names, strict=True)), title)


# --------------------------------------------------------------------------- figures


@dataclass
class Figure:
    """A rendered static map or chart: shows as an image in Jupyter and in the HTML report.

    Attributes
    ----------
    data
        The image, base64-encoded.
    alt, caption
        Alt text and caption (Dutch; escaped by the template).
    """

    data: str
    alt: str
    caption: str = ""
    mime: str = "image/png"
    width: int = 0
    height: int = 0

    @property
    def html(self) -> str:
        """The figure as an HTML ``<figure>`` (from ``templates/figure.html.j2``)."""
        return pages.render("figure.html.j2", figure=self)

    def _repr_html_(self) -> str:
        return self.html


def _figure(fig, alt: str, caption: str = "") -> Figure:
    """The figure as a PNG at :data:`DPI` with a 256-colour palette (small, sharp in print), shown at its size in
    CSS pixels (96 per inch)."""
    from PIL import Image

    fig.set_dpi(DPI)
    fig.canvas.draw()
    image = Image.frombuffer("RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    plt.close(fig)
    out = io.BytesIO()
    image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(out, format="PNG",
                                                                                      compress_level=6)
    width, height = (round(v * 96 / DPI) for v in image.size)
    return Figure(base64.b64encode(out.getvalue()).decode(), alt, caption, "image/png", width, height)


def _subplots(*args, **kwargs):
    """``plt.subplots`` for a figure drawn once, when it is saved: geopandas asks the canvas to redraw the whole
    figure after every layer it plots (``draw_idle``, immediate on a non-interactive canvas), which is switched off
    here."""
    fig, axes = plt.subplots(*args, **kwargs)
    fig.canvas.draw_idle = lambda *a, **k: None
    return fig, axes


def _axes(title: str, size=(9.0, 6.6)):
    fig, ax = _subplots(figsize=size)
    fig.subplots_adjust(left=0.01, right=0.68, top=0.93, bottom=0.05)  # the right third holds the legends
    ax.set_axis_off()
    ax.set_title(title, fontsize=12, loc="left")
    return fig, ax


def _draw(ax, frame: gpd.GeoDataFrame, classes: Classes, *, linewidth: float = 0.3) -> None:
    """Areas in their class colour; areas without a value white with grey hatching."""
    has = ~classes.missing.reindex(frame.index).fillna(True)
    if has.any():
        frame[has].plot(ax=ax, color=list(classes.colours.reindex(frame.index)[has]), edgecolor=AREA_EDGE,
                        linewidth=linewidth, zorder=2)
    if (~has).any():
        frame[~has].plot(ax=ax, facecolor=NO_DATA_COLOUR, edgecolor=NO_DATA_EDGE, hatch=NO_DATA_HATCH,
                         linewidth=linewidth, zorder=2)


def _draw_partial(ax, frame: gpd.GeoDataFrame, partial: pd.Series | None) -> list:
    """Dots over the areas flagged "onvolledige gegevens"; returns their legend handle (none when no area is)."""
    if partial is None:
        return []
    flagged = partial.reindex(frame.index).fillna(False).astype(bool)
    if not flagged.any():
        return []
    frame[flagged].plot(ax=ax, facecolor="none", edgecolor=PARTIAL_DOTS, hatch=PARTIAL_HATCH, linewidth=1.2,
                        linestyle=(0, (2, 2)), zorder=3)
    return [partial_handle()]


def partial_handle(rule: str = "") -> Patch:
    """The legend entry of areas flagged "onvolledige gegevens"."""
    return Patch(facecolor="white", edgecolor=PARTIAL_DOTS, hatch=PARTIAL_HATCH, linestyle=(0, (2, 2)),
                 label=labels.PARTIAL + (f" ({rule})" if rule else ""))


def _legend_handles(classes: Classes, drawn: gpd.GeoDataFrame) -> list:
    handles = [Patch(facecolor=c, edgecolor="#999999", label=text) for c, text in classes.legend]
    if classes.missing.reindex(drawn.index).fillna(True).any():
        handles.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor=NO_DATA_EDGE, hatch=NO_DATA_HATCH,
                             label=classes.no_data))
    return handles


def _context(ax, shown: gpd.GeoDataFrame, outlines: gpd.GeoDataFrame | None, code: str | None) -> None:
    """Neighbouring municipalities in grey with their names, the municipality outline, place names, a scale bar.

    ``shown`` are the municipality's areas (EPSG:28992); the view is their extent plus a margin.
    """
    minx, miny, maxx, maxy = shown.total_bounds
    pad = 0.06 * max(maxx - minx, maxy - miny)
    view = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    if outlines is not None and len(outlines):
        others = display_geometry(outlines[outlines.index != code], 100.0) if code else None
        if others is not None and len(others):
            others.plot(ax=ax, facecolor=NEIGHBOUR_COLOUR, edgecolor="white", linewidth=0.8, zorder=0)
            visible = others.clip(box(*view))
            visible = visible[~visible.is_empty & (visible.area > 0.02 * (view[2] - view[0]) * (view[3] - view[1]))]
            for name, point in zip(visible["name"], visible.geometry.representative_point(), strict=True):
                ax.text(point.x, point.y, fmt.name(name), fontsize=8, color=NEIGHBOUR_TEXT, ha="center", va="center",
                        style="italic", zorder=1)
        if code in outlines.index:
            display_geometry(outlines.loc[[code]], 20.0).boundary.plot(ax=ax, color=OUTLINE_COLOUR, linewidth=1.1,
                                                                       zorder=4)
    if "population" in shown:
        largest = shown.assign(p=pd.to_numeric(shown["population"], errors="coerce")).nlargest(PLACE_LABELS, "p")
        halo = [path_effects.withStroke(linewidth=2.5, foreground="white")]
        for name, point in zip(largest["name"], largest.geometry.representative_point(), strict=True):
            ax.text(point.x, point.y, fmt.name(name), fontsize=7, color="#111111", ha="center", va="center", zorder=7,
                    path_effects=halo)
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    ax.set_aspect("equal")
    ax.add_artist(ScaleBar(1.0, "m", location="lower right", length_fraction=0.22, box_alpha=0.7,
                           font_properties={"size": 7}, label_formatter=_scale_label))


def _scale_label(value, unit: str) -> str:
    """The scale bar's label in Dutch: "2,5 km"."""
    return f"{fmt.number(value, 0 if float(value).is_integer() else 1)} {unit}"


def _finish(fig, ax, handles, legend_title: str, year) -> None:
    ax.legend(handles=handles, title=textwrap.fill(legend_title, LEGEND_WIDTH), loc="upper left",
              bbox_to_anchor=(1.03, 1.0), frameon=False, fontsize=8, title_fontsize=9, alignment="left")
    fig.text(0.01, 0.01, ATTRIBUTION.format(year=year), fontsize=7, color="#555555")


def class_map(areas: gpd.GeoDataFrame, classes: Classes, *, title: str, year: int | str = "", sites=None,
              outlines: gpd.GeoDataFrame | None = None, code: str | None = None, alt: str = "",
              caption: str = "", partial: pd.Series | None = None) -> Figure:
    """A static map of areas in ``classes`` with the full legend, map context and optional sites.

    Parameters
    ----------
    areas
        The areas to colour (EPSG:28992) with ``name`` (and ``population`` for place names).
    classes
        From one of the classifiers of this module.
    outlines, code
        Municipality outlines (:attr:`mgg_geo.analysis.chain.Analysis.municipalities`) and the
        municipality shown: neighbours are drawn in grey, its outline in black.
    partial
        True for areas flagged "onvolledige gegevens": dotted, with a legend entry.
    """
    shown = display_geometry(areas)
    fig, ax = _axes(title)
    _draw(ax, shown, classes)
    handles = _legend_handles(classes, shown) + _draw_partial(ax, shown, partial)
    if sites is not None and len(sites):
        handles += _plot_sites(ax, sites)
    _context(ax, shown, outlines, code)
    _finish(fig, ax, handles, classes.title, year)
    return _figure(fig, alt or f"Kaart: {title}", caption)


def choropleth(areas: gpd.GeoDataFrame, column: str, *, title: str, legend_title: str, colours=SEQUENTIAL,
               k: int = 5, decimals: int = 1, unit: str = "", year: int | str = "", sites=None,
               caption: str = "") -> Figure:
    """Any column in quantile classes (for exploring in a notebook; reports use the fixed classes)."""
    classes = quantile_classes(areas[column], k=k, colours=colours, decimals=decimals, unit=unit, title=legend_title)
    return class_map(areas, classes, title=title, year=year, sites=sites, caption=caption)


def _plot_sites(ax, sites: gpd.GeoDataFrame) -> list:
    """Physical sites, each point drawn once: a count badge beside it counts the sites placed there (approximate
    placements on the same area stack up). Area-wide offers have no location and are not drawn."""
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
        ax.scatter([x], [y], s=40, marker=marker, c="white" if approximate else colour,
                   edgecolors=colour if approximate else "white", linewidths=1.4 if approximate else 0.8, zorder=5)
        if len(group) > 1:
            ax.annotate(fmt.number(len(group)), (x, y), xytext=(5, 4), textcoords="offset points", fontsize=7,
                        fontweight="bold", zorder=6, bbox={"boxstyle": "round,pad=0.15", "fc": "white", "lw": 0.5})
    handles = [Line2D([], [], marker="o", linestyle="", markerfacecolor=PROGRAMME_COLOURS.get(p, OTHER_COLOUR),
                      markeredgecolor="white", label=f"locatie: {p}") for p in sorted(set(frame["programme"]))]
    handles.append(Line2D([], [], marker="^", linestyle="", markerfacecolor="white", markeredgecolor="#444444",
                          label="open symbool: plek bij benadering"))
    if frame.duplicated(["x", "y"]).any():
        handles.append(Line2D([], [], linestyle="", label="getal: aantal locaties op dat punt"))
    return handles


def _bivariate_legend(inset) -> None:
    """The 3x3 legend grid: need upwards, coverage to the right; the darkest cell top left."""
    for n in (1, 2, 3):
        for c in (1, 2, 3):
            inset.add_patch(plt.Rectangle((c - 1, n - 1), 1, 1, facecolor=BIVARIATE[n][c], edgecolor=AREA_EDGE,
                                          linewidth=0.4))
    inset.set_xlim(0, 3)
    inset.set_ylim(0, 3)
    inset.set_xticks([0.5, 1.5, 2.5], ["laag", "midden", "hoog"], fontsize=7)
    inset.set_yticks([0.5, 1.5, 2.5], ["laag", "midden", "hoog"], fontsize=7)
    inset.set_xlabel("dekking →", fontsize=8)
    inset.set_ylabel("behoefte →", fontsize=8)
    inset.tick_params(length=0)
    for side in inset.spines.values():
        side.set_visible(False)


def _no_data_handle(classes: Classes) -> Patch:
    return Patch(facecolor=NO_DATA_COLOUR, edgecolor=NO_DATA_EDGE, hatch=NO_DATA_HATCH, label=classes.no_data)


def bivariate(areas: gpd.GeoDataFrame, *, title: str, year: int | str = "", sites=None, caption: str = "",
              outlines: gpd.GeoDataFrame | None = None, code: str | None = None) -> Figure:
    """Need x coverage (3x3 classes) with the legend grid, the not-ranked class, areas flagged "onvolledige
    gegevens" (column ``partial_data``, when present) and map context."""
    shown = display_geometry(areas)
    classes = bivariate_classes(shown["need_class"], shown["coverage_class"])
    fig, ax = _axes(title)
    _draw(ax, shown, classes)
    handles = _plot_sites(ax, sites) if sites is not None and len(sites) else []
    handles.append(_no_data_handle(classes))
    handles += _draw_partial(ax, shown, shown.get("partial_data"))
    _context(ax, shown, outlines, code)
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(1.03, 0.0), frameon=False, fontsize=8)
    _bivariate_legend(fig.add_axes([0.76, 0.58, 0.17, 0.24]))
    fig.text(0.01, 0.01, ATTRIBUTION.format(year=year), fontsize=7, color="#555555")
    alt = (f"Kaart: {title}. Kleur per gebied: behoefte (laag, midden, hoog) tegen dekking (laag, midden, hoog); "
           "zwart is hoge behoefte en lage dekking.")
    return _figure(fig, alt, caption)


def small_multiples(areas: gpd.GeoDataFrame, *, year: int | str = "",
                    outlines: gpd.GeoDataFrame | None = None) -> Figure:
    """The 10 municipalities side by side in the 3x3 classes, with the full legend and the not-ranked class."""
    from mgg_geo.data import regions

    shown = display_geometry(areas, tolerance=100.0)
    classes = bivariate_classes(shown["need_class"], shown["coverage_class"])
    fig, axes = _subplots(2, 5, figsize=(13, 6.2))
    for ax, (code, name) in zip(axes.ravel(), regions.MUNICIPALITIES.items(), strict=True):
        part = shown[shown["gemeente_code"] == code]
        if len(part):
            _draw(ax, part, classes, linewidth=0.3)
            _draw_partial(ax, part, part.get("partial_data"))
        if outlines is not None and code in outlines.index:
            display_geometry(outlines.loc[[code]], 50.0).boundary.plot(ax=ax, color=OUTLINE_COLOUR, linewidth=0.6,
                                                                       zorder=4)
        ax.set_title(name, fontsize=10)
        ax.set_axis_off()
        ax.set_aspect("equal")
    fig.subplots_adjust(bottom=0.16, right=0.86)
    _bivariate_legend(fig.add_axes([0.885, 0.40, 0.09, 0.2]))
    extra = [partial_handle()] if "partial_data" in shown and shown["partial_data"].astype(bool).any() else []
    fig.legend(handles=[_no_data_handle(classes), *extra], loc="lower right", bbox_to_anchor=(0.99, 0.2),
               frameon=False, fontsize=8)
    fig.text(0.01, 0.005, ATTRIBUTION.format(year=year), fontsize=7, color="#555555")
    alt = "Tien kaartjes, één per gemeente, gekleurd naar behoefte tegen dekking."
    return _figure(fig, alt, "Behoefte tegen dekking per gemeente, met dezelfde klassen als in de gemeenterapporten.")


#: Extra coverage per area in the what-if map: upper bound (share) and colour.
GAIN_BANDS = ((0.0, "#f2f2f2", "geen extra dekking"), (1 / 3, "#c7e9c0", "tot een derde erbij"),
              (2 / 3, "#74c476", "een tot twee derde erbij"), (1.01, "#238b45", "twee derde of meer erbij"))


def whatif_map(areas: gpd.GeoDataFrame, effect: pd.DataFrame, new_sites: gpd.GeoDataFrame, *, existing=None,
               year: int | str = "", outlines: gpd.GeoDataFrame | None = None, code: str | None = None,
               target: str = "jongeren") -> Figure:
    """The suggested new sites (numbered stars) and how much coverage each area gains."""
    shown = display_geometry(areas)
    gain = (effect["reach_after"] - effect["reach_before"]).reindex(shown.index).fillna(0.0)
    colour = [next(c for upper, c, _ in GAIN_BANDS if g <= upper + 1e-12) if g > 1e-12 else GAIN_BANDS[0][1]
              for g in gain]
    classes = Classes(pd.Series(colour, index=shown.index, dtype="object"), [(c, t) for _, c, t in GAIN_BANDS],
                      "Extra dekking per gebied")
    fig, ax = _axes("Voorstel: nieuwe locaties en wat ze bereiken")
    _draw(ax, shown, classes)
    if existing is not None and len(existing):
        physical = existing[~is_area_wide(existing)]
        ax.scatter(physical.geometry.x, physical.geometry.y, s=14, c="#777777", zorder=5)
    ax.scatter(new_sites.geometry.x, new_sites.geometry.y, s=170, marker="*", c="#d7301f", edgecolors="black",
               linewidths=0.6, zorder=8)
    for _, site in new_sites.iterrows():
        ax.annotate(str(int(site["step"])), (site.geometry.x, site.geometry.y), xytext=(7, 5),
                    textcoords="offset points", fontsize=9, fontweight="bold", zorder=9)
    handles = _legend_handles(classes, shown) + _draw_partial(ax, shown, shown.get("partial_data"))
    handles += [Line2D([], [], marker="*", linestyle="", markersize=12, markerfacecolor="#d7301f",
                       markeredgecolor="black", label="nieuwe locatie (stap)"),
                Line2D([], [], marker="o", linestyle="", markerfacecolor="#777777", markeredgecolor="#777777",
                       label="bestaande locatie")]
    _context(ax, shown, outlines, code)
    _finish(fig, ax, handles, classes.title, year)
    alt = (f"Kaart met {fmt.count(len(new_sites), 'voorgestelde nieuwe locatie', 'voorgestelde nieuwe locaties')} "
           f"en de gebieden waar daardoor meer {target} binnen 3 km van een locatie wonen.")
    return _figure(fig, alt)


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
    part = series[series["indicator"] == indicator]
    verdicts = changes[changes["indicator"] == indicator].set_index("code")["verdict"]
    fig, ax = _subplots(figsize=(8.0, 5.0))
    fig.subplots_adjust(left=0.09, right=0.70, top=0.90, bottom=0.10)
    ends = []
    for code, line in part.sort_values("year").groupby("code"):
        verdict = verdicts.get(code, "none")
        dashed = bool(line["estimated"].any())
        ax.plot(line["year"], line["value"], color=labels.VERDICT_COLOURS[verdict],
                linewidth=1.6 if verdict != "none" else 1, linestyle="--" if dashed else "-", marker="o",
                markersize=3, zorder=3 if verdict != "none" else 2)
        if verdict != "none":
            ends.append((float(line["value"].iloc[-1]), str(names.get(code, code)), labels.VERDICT_COLOURS[verdict],
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
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: fmt.number(v, 0)))
    ax.set_ylabel(unit)
    ax.set_title(title, fontsize=12, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    handles = [Line2D([], [], color=labels.VERDICT_COLOURS[k], label=labels.VERDICTS[k])
               for k in ("up", "down", "none")]
    handles.append(Line2D([], [], color="#555555", linestyle="--", label="omgerekend (schatting)"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.18, 1.0), frameon=False, fontsize=8)
    alt = f"Lijngrafiek: {title}, één lijn per gebied over de jaren."
    return _figure(fig, alt)

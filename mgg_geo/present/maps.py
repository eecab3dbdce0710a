"""Static maps and charts for notebooks and reports, drawn with matplotlib.

Conventions
-----------
* **The classes are not drawn here.** Every map colours its areas by a
  :class:`~mgg_geo.present.mapclasses.Classes` of
  :mod:`mgg_geo.present.mapclasses` (the same classes, colours and legends as
  the interactive maps); this module draws them, with a hatched class for
  areas without a value.
* **Context.** Municipality maps show the neighbouring municipalities in
  grey with their names, the municipality's outline, the names of its
  largest areas and a km scale bar.
* **Drawn at the size they print.** A figure is as wide as the printed
  column of an A4 page (:data:`PRINT_WIDTH_MM`) or narrower, and the page
  shows it at its own size (its width in CSS pixels is its width in inches
  x 96; the stylesheet never enlarges it), so a font size here is the size on
  paper: legends :data:`LEGEND_PT` (at least 8 pt), place names
  :data:`LABEL_PT`. Every :class:`Figure` records its smallest legend text,
  any text cut off at the edge and any two labels that overlap (tested).
  Place names that would overlap another label are left out, the least
  populous first.
* Boundaries are simplified for display only
  (:func:`~mgg_geo.present.mapclasses.display_geometry`); every computation
  uses the unsimplified EPSG:28992 geometry. Images are PNG at ``DPI`` (print
  resolution), embedded in the report.
* All text on a map is Dutch, through :mod:`mgg_geo.present.fmt` and
  :mod:`mgg_geo.present.labels`.
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.patheffects as path_effects  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.text import Annotation, Text  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402
from matplotlib_scalebar.scalebar import ScaleBar  # noqa: E402
from shapely.geometry import box  # noqa: E402

from mgg_geo import rules  # noqa: E402
from mgg_geo.analysis.coverage import is_area_wide  # noqa: E402
from mgg_geo.present import fmt, labels, pages  # noqa: E402
from mgg_geo.present.mapclasses import (  # noqa: E402
    BIVARIATE,
    NEIGHBOUR_COLOUR,
    OTHER_COLOUR,
    OUTLINE_COLOUR,
    PROGRAMME_COLOURS,
    PROPOSAL_COLOUR,
    SEQUENTIAL,
    Classes,
    attribution,
    bivariate_classes,
    bivariate_key,
    display_geometry,
    gain_classes,
    quantile_classes,
)
from mgg_geo.supply.initiatives import APPROXIMATE  # noqa: E402

#: Resolution of the map images (dots per inch): print quality.
DPI = 200
NO_DATA_COLOUR = "#ffffff"
NO_DATA_HATCH = "////"
NO_DATA_EDGE = "#8a8a8a"
#: Areas flagged "onvolledige gegevens" (too many need indicators missing): dotted over their class colour.
PARTIAL_HATCH = "..."
#: Mid grey: the dots show on the darkest (black) and the lightest (white) class alike.
PARTIAL_DOTS = "#8f8f8f"
#: Neighbouring municipalities and their labels.
NEIGHBOUR_TEXT = "#7a7a7a"
#: Edges between areas: grey, so that the lightest class stays apart from its neighbours.
AREA_EDGE = "#8c8c8c"
#: Marker per placement precision: circle for an exact location or address, square for a postcode or
#: town, triangle for an area (the last two are approximate and drawn open).
PLACEMENT_MARKERS = {"exact": "o", "address": "o", "postcode": "s", "town": "s", "area": "^"}
#: The printed width of a full-width figure: A4 (210 mm) less the stylesheet's margins (2 x 14 mm).
PRINT_WIDTH_MM = 182.0
PRINT_WIDTH_IN = PRINT_WIDTH_MM / 25.4
#: Font sizes in points on paper (figures are drawn at their printed size): legends, place names, titles, the
#: attribution line and the scale bar.
LEGEND_PT = 8.5
LABEL_PT = 8.0
TITLE_PT = 11.0
SMALL_PT = 7.0
#: The smallest legend text allowed on paper.
MIN_LEGEND_PT = 8.0
#: Legend titles and entries wrap at this many characters (the legend column is about a third of the figure).
LEGEND_WIDTH = 34
#: Names of up to this many of a municipality's most populous areas are written on its maps (fewer when they
#: would overlap).
PLACE_LABELS = 10


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
    width, height
        The size in CSS pixels (96 per inch): the size it is shown and printed at.
    legend_pt
        The smallest legend text in points at that size (0 when the figure has no legend).
    map_width_in
        The narrowest map panel in inches at that size (0 for a chart).
    clipped, overlaps
        Texts cut off at the edge of the figure, and pairs of labels that overlap.
    """

    data: str
    alt: str
    caption: str = ""
    mime: str = "image/png"
    width: int = 0
    height: int = 0
    legend_pt: float = 0.0
    map_width_in: float = 0.0
    clipped: tuple[str, ...] = ()
    overlaps: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def html(self) -> str:
        """The figure as an HTML ``<figure>`` (from ``templates/figure.html.j2``)."""
        return pages.render("figure.html.j2", figure=self)

    def _repr_html_(self) -> str:
        return self.html


def _plain_text(draw):
    """``draw`` with every text it makes taken literally: matplotlib reads text between two ``$`` as math, so an
    area named "Noord $5 tot $10" came out in italics and one named "Wijk $\\frac{1}$" stopped the report
    (attack on the boundaries import). Only the figures drawn here; a notebook's own plots keep their math."""
    import functools

    @functools.wraps(draw)
    def plain(*args, **kwargs):
        with matplotlib.rc_context({"text.parse_math": False}):
            return draw(*args, **kwargs)

    return plain


def _figure(fig, alt: str, caption: str = "") -> Figure:
    """The figure as a PNG at :data:`DPI` with a 256-colour palette (small, sharp in print), shown at its size in
    CSS pixels (96 per inch), with what :func:`_inspect` finds."""
    from PIL import Image

    fig.set_dpi(DPI)
    fig.canvas.draw()
    found = _inspect(fig)
    image = Image.frombuffer("RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    plt.close(fig)
    out = io.BytesIO()
    image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(out, format="PNG",
                                                                                      compress_level=6)
    width, height = (round(v * 96 / DPI) for v in image.size)
    return Figure(base64.b64encode(out.getvalue()).decode(), alt, caption, "image/png", width, height, **found)


def _drawn_texts(fig) -> list[Text]:
    """Every text drawn on ``fig`` that has characters (tick labels only of axes that show an axis)."""
    hidden = set()
    for ax in fig.axes:
        if not ax.axison:
            hidden.update(id(t) for t in [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.xaxis.label,
                                          ax.yaxis.label])
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and id(t) not in hidden]


def _legend_texts(fig) -> list[Text]:
    """The texts of every legend: legend entries and titles, and the texts of legend axes (the 3x3 grid)."""
    texts = []
    for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes)]:
        if legend is not None:
            texts += [*legend.get_texts(), legend.get_title()]
    for ax in fig.axes:
        if getattr(ax, "_mgg_legend", False):
            texts += [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.xaxis.label, ax.yaxis.label, *ax.texts]
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def _inspect(fig) -> dict:
    """The smallest legend text (points), the narrowest map panel (inches), texts cut off at the figure's edge and
    overlapping labels of a drawn figure."""
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    clipped = []
    for text in _drawn_texts(fig):
        box = text.get_window_extent(renderer)
        if box.x0 < -1 or box.y0 < -1 or box.x1 > width + 1 or box.y1 > height + 1:
            clipped.append(text.get_text())
    overlaps = []
    boxes = [(t.get_text(), _text_box(t, renderer).shrunk(0.98, 0.9)) for t in _drawn_texts(fig)]
    for i, (a, box_a) in enumerate(boxes):
        overlaps += [(a, b) for b, box_b in boxes[i + 1:] if box_a.overlaps(box_b)]
    sizes = [t.get_fontsize() for t in _legend_texts(fig)]
    panels = [ax.get_position().width * fig.get_figwidth() for ax in fig.axes if getattr(ax, "_mgg_map", False)]
    return {"legend_pt": float(min(sizes)) if sizes else 0.0, "map_width_in": float(min(panels)) if panels else 0.0,
            "clipped": tuple(clipped), "overlaps": tuple(overlaps)}


def _subplots(*args, **kwargs):
    """``plt.subplots`` for a figure drawn once, when it is saved: geopandas asks the canvas to redraw the whole
    figure after every layer it plots (``draw_idle``, immediate on a non-interactive canvas), which is switched off
    here."""
    fig, axes = plt.subplots(*args, **kwargs)
    fig.canvas.draw_idle = lambda *a, **k: None
    return fig, axes


#: The size of a municipality map (inches, as printed): the width of the printed column; the height follows the
#: municipality's shape between :data:`MAP_HEIGHTS` (:func:`_fit_height`).
MAP_SIZE = (PRINT_WIDTH_IN, 5.0)
#: The lowest and highest map figure (inches): the legend column needs the lower, a page the upper.
MAP_HEIGHTS = (3.9, 6.2)
#: The map's share of the figure's width; the rest holds the legends.
MAP_SHARE = 0.6
#: Room above the map for its title and below it for the attribution (inches).
_TOP_IN, _BOTTOM_IN = 0.4, 0.28


def _axes(title: str, size=MAP_SIZE):
    fig, ax = _subplots(figsize=size)
    fig._mgg_top = _TOP_IN if title else 0.08  # no title: the map starts at the top
    _margins(fig)
    ax.set_axis_off()
    ax.set_anchor("NW")
    ax._mgg_map = True
    ax.set_title(title, fontsize=TITLE_PT, loc="left")
    return fig, ax


def _margins(fig) -> None:
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.01, right=MAP_SHARE, top=1 - _top(fig) / height, bottom=_BOTTOM_IN / height)


def _top(fig) -> float:
    """The room above the map (inches): its title, if any."""
    return getattr(fig, "_mgg_top", _TOP_IN)


def _fit_height(fig, view, heights=None) -> None:
    """Make the figure as tall as the map needs at its width (within ``heights``, default :data:`MAP_HEIGHTS`), so
    that a wide municipality leaves no empty band under its title."""
    low, high = heights or MAP_HEIGHTS
    width_in = fig.get_figwidth() * (MAP_SHARE - 0.01)
    needed = width_in * (view[3] - view[1]) / (view[2] - view[0]) + _top(fig) + _BOTTOM_IN
    fig.set_figheight(min(max(needed, low), high))
    _margins(fig)


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


def _wrapped(handles: list, width: int = LEGEND_WIDTH) -> list:
    """The legend handles with their labels wrapped to the legend column."""
    for handle in handles:
        handle.set_label(textwrap.fill(handle.get_label(), width))
    return handles


def _text_box(text: Text, renderer):
    """The box of a text's letters (and its background box), without the leader line of an annotation."""
    if isinstance(text, Annotation):
        text.update_positions(renderer)
    box = Text.get_window_extent(text, renderer)
    patch = text.get_bbox_patch()
    if patch is not None:
        text.update_bbox_position_size(renderer)
        box = type(box).union([box, patch.get_window_extent(renderer)])
    return box


def _inside(box, frame) -> bool:
    return box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1


#: Where a label that must be shown may go when its own spot is taken: offsets in points.
_NUDGES = ((0, 0), (0, 13), (0, -13), (28, 0), (-28, 0), (22, 13), (-22, -13), (22, -13), (-22, 13),
           *((round(r * dx), round(r * dy)) for r in (26, 40, 56) for dx, dy in
             ((0, 1), (0, -1), (1, 0.5), (-1, 0.5), (1, -0.5), (-1, -0.5), (1.4, 1), (-1.4, 1), (1.4, -1),
              (-1.4, -1))))


def place_labels(ax, items: list[tuple], *, keep_all: bool = False, cross: bool = True,
                 avoid: Sequence[tuple[float, float]] = ()) -> list[Text]:
    """Write labels on a map in the order given, leaving out a label that would overlap a text already on the map
    or stick out of it.

    Parameters
    ----------
    items
        ``(x, y, text, style)`` in EPSG:28992 metres, most important first; ``style`` are matplotlib text options.
    keep_all
        Labels that must be shown (priorities): each tries the spots of :data:`_NUDGES` (with a leader line when
        moved) before it is left out; with ``cross``, at last also spots whose leader crosses another label.
    avoid
        Points (EPSG:28992) a label must not cover, as it never covers a site's symbol: the centres of other
        areas that matter (Eemsdelta's "3 Tuikwerd" covered three Appingedam wijken of high need, low coverage).

    Returns
    -------
    The labels written.
    """
    fig = ax.figure
    ax.apply_aspect()
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    taken = [_text_box(t, renderer).expanded(1.04, 1.1) for t in ax.texts
             if t.get_visible() and t.get_text().strip()]
    reach = 6 * fig.dpi / 72  # the symbols of sites: a label never covers one
    kept = [xy for collection in ax.collections if getattr(collection, "_mgg_sites", False)
            for xy in collection.get_offsets()] + list(avoid)
    for x, y in ax.transData.transform(np.asarray(kept, dtype=float).reshape(-1, 2)):
        taken.append(Bbox.from_extents(x - reach, y - reach, x + reach, y + reach))
    written = []
    points = fig.dpi / 72  # pixels per point: a label moved by (dx, dy) points has its box moved by as many pixels
    for x, y, text, style in items:
        # a label that must be shown may cross another's leader line, or (last resort) a leader may cross a label
        tries = [(True, n) for n in _NUDGES] + ([(False, n) for n in _NUDGES[1:]] if cross else []) if keep_all \
            else [(True, (0, 0))]
        probe = ax.annotate(text, (x, y), xytext=(0, 0), textcoords="offset points", ha="center", va="center",
                            annotation_clip=False, **style)  # measured once, then moved
        own = _text_box(probe, renderer).expanded(1.04, 1.1)
        probe.remove()
        anchor = ax.transData.transform((x, y))
        for strict, (dx, dy) in tries:
            box = own.translated(dx * points, dy * points)
            moved = (dx, dy) != (0, 0)
            leader = [anchor + t * (np.array([box.x0 + box.x1, box.y0 + box.y1]) / 2 - anchor)
                      for t in np.linspace(0.0, 1.0, 24)] if moved and strict else []
            crossed = any(other.contains(*point) for other in taken for point in leader)
            if _inside(box, frame) and not crossed and not any(box.overlaps(other) for other in taken):
                arrow = {"arrowstyle": "-", "color": "#333333", "lw": 0.6, "shrinkA": 0, "shrinkB": 0} \
                    if moved else None
                taken.append(box)
                written.append(ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha="center",
                                           va="center", arrowprops=arrow, annotation_clip=False, **style))
                break
    return written


def _view(shown: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """The extent a municipality map shows: its areas plus a margin (EPSG:28992)."""
    minx, miny, maxx, maxy = shown.total_bounds
    pad = 0.06 * max(maxx - minx, maxy - miny)
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def _in_view(sites, shown: gpd.GeoDataFrame):
    """The sites inside the map's extent: the symbols and legend entries are those of what the map shows."""
    return sites[sites.intersects(box(*_view(shown)))] if sites is not None and len(sites) else sites


def _context(ax, shown: gpd.GeoDataFrame, outlines: gpd.GeoDataFrame | None, code: str | None,
             named: dict[str, tuple[str, str]] | None = None, heights=None) -> list:
    """Neighbouring municipalities in grey with their names, the municipality outline, place names, a scale bar.

    ``shown`` are the municipality's areas (EPSG:28992); the view is their extent plus a margin. ``named``: areas
    that must be labelled, per area code ``(number, name)`` (the priorities on page 1), written first and in bold as
    "1 Zuidwest"; where the map has no room for the name, the number alone marks the area and the returned legend
    entries name it. The names of the most populous other areas and of the neighbours follow where they do not
    overlap. The figure gets the height the map needs (:func:`_fit_height`; ``heights``: its bounds, or False to
    keep it).
    """
    view = _view(shown)
    if heights is not False:
        _fit_height(ax.figure, view, heights)
    neighbours = []
    if outlines is not None and len(outlines):
        others = display_geometry(outlines[outlines.index != code], 100.0) if code else None
        if others is not None and len(others):
            others.plot(ax=ax, facecolor=NEIGHBOUR_COLOUR, edgecolor="white", linewidth=0.8, zorder=0)
            visible = others.clip(box(*view))
            visible = visible[~visible.is_empty & (visible.area > 0.02 * (view[2] - view[0]) * (view[3] - view[1]))]
            neighbours = [(p.x, p.y, fmt.name(n), {"fontsize": LABEL_PT, "color": NEIGHBOUR_TEXT, "style": "italic",
                                                   "zorder": 1})
                          for n, p in zip(visible["name"], visible.geometry.representative_point(), strict=True)]
        if code in outlines.index:
            display_geometry(outlines.loc[[code]], 20.0).boundary.plot(ax=ax, color=OUTLINE_COLOUR, linewidth=1.1,
                                                                       zorder=4)
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    ax.set_aspect("equal")
    halo = [path_effects.withStroke(linewidth=2.5, foreground="white")]
    named = named or {}
    points = shown.geometry.representative_point()
    numbered = []
    bold = {"fontsize": LABEL_PT + 0.5, "fontweight": "bold", "color": "#000000", "zorder": 8,
            "bbox": {"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#000000", "lw": 0.6}}
    # a priority's label covers no other area of high need and low coverage (their centres), where it can
    target = [c for c in shown.index[shown.get("gap_class", pd.Series("", index=shown.index)) == rules.TARGET_CLASS]
              if c in points.index]
    for c, (number, name) in named.items():
        if c not in points.index:
            continue
        x, y = points[c].x, points[c].y
        others = [(points[o].x, points[o].y) for o in target if o != c]
        if not place_labels(ax, [(x, y, f"{number} {name}", bold)], keep_all=True, cross=False, avoid=others):
            if not place_labels(ax, [(x, y, number, bold)], keep_all=True, avoid=others):
                place_labels(ax, [(x, y, number, bold)], keep_all=True)
            numbered.append(Line2D([], [], linestyle="", label=f"{number}: {name}"))
    if "population" in shown:
        rest = shown[~shown.index.isin(list(named))]
        largest = rest.assign(p=pd.to_numeric(rest["population"], errors="coerce")).nlargest(PLACE_LABELS, "p")
        place_labels(ax, [(points[c].x, points[c].y, fmt.name(n), {"fontsize": LABEL_PT, "color": "#111111",
                                                                    "zorder": 7, "path_effects": halo})
                          for c, n in largest["name"].items()])
    place_labels(ax, neighbours)
    _scale_bar(ax)
    return numbered


def _scale_bar(ax, size_pt: float = SMALL_PT + 0.5) -> None:
    """A scale bar in the lower right corner of a map in EPSG:28992 (one unit is one metre), labelled in Dutch."""
    ax.add_artist(ScaleBar(1.0, "m", location="lower right", length_fraction=0.22, box_alpha=0.7,
                           font_properties={"size": size_pt}, scale_formatter=_scale_label))


def _scale_label(value, unit: str) -> str:
    """The scale bar's label in Dutch: "2,5 km"."""
    return f"{fmt.number(value, 0 if float(value).is_integer() else 1)} {unit}"


def _attribution(fig, year) -> None:
    """The attribution line (:func:`~mgg_geo.present.mapclasses.attribution`) at the foot of a map figure: every
    static map draws it here (``year``, as of every map function: the boundaries' year, or their source manifest,
    which also says who simplified them)."""
    fig.text(0.01, 0.01, attribution(year), fontsize=SMALL_PT, color="#555555")


def _finish(fig, ax, handles, legend_title: str, year) -> None:
    _legend_column(fig, ax, handles, legend_title)
    _attribution(fig, year)


#: The 3x3 grid of the bivariate legend (inches): width, height, and the room its labels take under it.
_GRID_IN = (1.3, 1.0, 0.45)


def _legend_column(fig, ax, handles: list, title: str, *, grid: bool = False) -> None:
    """The legend beside the map ``ax``, from the top down: the 3x3 grid (``grid``), then ``title`` and the entries.
    The figure grows when the legend needs more height than the map."""
    width = fig.get_figwidth()
    ax.apply_aspect()
    left = ax.get_position().x1 * width + 0.2  # beside the map as drawn (a tall municipality leaves room)
    start = _top(fig) + 0.05  # under the map's title, which may run into this column
    top = start + (_GRID_IN[1] + _GRID_IN[2] if grid else 0.0)
    chars = max(LEGEND_WIDTH, int((width - left - 0.1) * 72 / (LEGEND_PT * 0.6)))  # what the column holds
    columns = 2 if chars >= 2 * (LEGEND_WIDTH - 4) and len(handles) > 4 else 1  # a wide column: entries side by side
    legend = fig.legend(handles=_wrapped(handles, chars // columns - 5),
                        title=textwrap.fill(title, chars) if title else None, ncol=columns, loc="upper left",
                        frameon=False, fontsize=LEGEND_PT, title_fontsize=LEGEND_PT, alignment="left",
                        borderaxespad=0.0, columnspacing=1.0)
    needed = top + legend.get_window_extent(fig.canvas.get_renderer()).height / fig.dpi + _BOTTOM_IN + 0.05
    if needed > fig.get_figheight():
        fig.set_figheight(needed)
        _margins(fig)
    height = fig.get_figheight()
    legend.set_bbox_to_anchor((left / width, 1 - top / height), transform=fig.transFigure)
    if grid:
        _bivariate_legend(fig.add_axes([(left + 0.75) / width, 1 - (start + _GRID_IN[1]) / height,
                                        _GRID_IN[0] / width, _GRID_IN[1] / height]))


@_plain_text
def class_map(areas: gpd.GeoDataFrame, classes: Classes, *, title: str, year: int | str | dict = "", sites=None,
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
    sites = _in_view(sites, shown)
    if sites is not None and len(sites):
        handles += _plot_sites(ax, sites)
    _context(ax, shown, outlines, code)
    _finish(fig, ax, handles, classes.title, year)
    return _figure(fig, alt or f"Kaart: {title}", caption)


def choropleth(areas: gpd.GeoDataFrame, column: str, *, title: str, legend_title: str, colours=SEQUENTIAL,
               k: int = 5, decimals: int = 1, unit: str = "", year: int | str | dict = "", sites=None,
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
                   edgecolors=colour if approximate else "white", linewidths=1.4 if approximate else 0.8,
                   zorder=5)._mgg_sites = True
        if len(group) > 1:
            ax.annotate(f"{fmt.number(len(group))}×", (x, y), xytext=(7, 5), textcoords="offset points",
                        fontsize=LABEL_PT, color="#333333", zorder=6,
                        bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "#999999", "lw": 0.4})
    handles = [Line2D([], [], marker="o", linestyle="", markerfacecolor=PROGRAMME_COLOURS.get(p, OTHER_COLOUR),
                      markeredgecolor="white", label=f"locatie: {p}") for p in sorted(set(frame["programme"]))]
    handles.append(Line2D([], [], marker="^", linestyle="", markerfacecolor="white", markeredgecolor="#444444",
                          label="open: plek bij benadering"))
    if frame.duplicated(["x", "y"]).any():
        handles.append(Line2D([], [], linestyle="", label="n×: n locaties op één punt"))
    return handles


def _bivariate_legend(inset) -> None:
    """The 3x3 legend grid: need upwards, coverage to the right; the darkest cell top left."""
    inset._mgg_legend = True
    for n in (1, 2, 3):
        for c in (1, 2, 3):
            inset.add_patch(plt.Rectangle((c - 1, n - 1), 1, 1, facecolor=BIVARIATE[n][c], edgecolor=AREA_EDGE,
                                          linewidth=0.4))
    inset.set_xlim(0, 3)
    inset.set_ylim(0, 3)
    inset.set_xticks([0.5, 1.5, 2.5], ["laag", "midden", "hoog"], fontsize=LEGEND_PT)
    inset.set_yticks([0.5, 1.5, 2.5], ["laag", "midden", "hoog"], fontsize=LEGEND_PT)
    inset.set_xlabel("dekking →", fontsize=LEGEND_PT)
    inset.set_ylabel("behoefte →", fontsize=LEGEND_PT)
    inset.tick_params(length=0)
    for side in inset.spines.values():
        side.set_visible(False)


def _no_data_handle(classes: Classes) -> Patch:
    return Patch(facecolor=NO_DATA_COLOUR, edgecolor=NO_DATA_EDGE, hatch=NO_DATA_HATCH, label=classes.no_data)


@_plain_text
def bivariate(areas: gpd.GeoDataFrame, *, title: str, year: int | str | dict = "", sites=None, caption: str = "",
              outlines: gpd.GeoDataFrame | None = None, code: str | None = None,
              named: dict[str, tuple[str, str]] | None = None, size=MAP_SIZE, heights=None,
              key: bool = True, reach_m: float | None = None, scope: str = "provincie") -> Figure:
    """Need x coverage (3x3 classes) with the legend grid, the not-ranked class, areas flagged "onvolledige
    gegevens" (column ``partial_data``, when present) and map context; ``named``: areas that must be labelled, per
    area code ``(number, name)`` (the priorities: "1 Uithuizen"; see :func:`_context`). ``key``: what the classes
    mean (:func:`bivariate_key`, with the reach ``reach_m`` in metres) under the grid; without it the caption must
    say it."""
    shown = display_geometry(areas)
    classes = bivariate_classes(shown["need_class"], shown["coverage_class"])
    fig, ax = _axes(title, size)
    _draw(ax, shown, classes)
    sites = _in_view(sites, shown)
    handles = _plot_sites(ax, sites) if sites is not None and len(sites) else []
    handles.append(_no_data_handle(classes))
    handles += _draw_partial(ax, shown, shown.get("partial_data"))
    handles += _context(ax, shown, outlines, code, named=named, heights=heights)
    _legend_column(fig, ax, handles, bivariate_key(reach_m, scope) if key else "", grid=True)
    _attribution(fig, year)
    alt = (f"Kaart: {title or 'behoefte tegen dekking'}. Kleur per gebied: behoefte (laag, midden, hoog) tegen "
           "dekking (laag, midden, hoog); zwart is hoge behoefte en lage dekking.")
    return _figure(fig, alt, caption)


#: Height of one row of the small multiples, and of the legend strip under them (inches, as printed).
ROW_IN, STRIP_IN = 2.6, 1.75


@_plain_text
def small_multiples(areas: gpd.GeoDataFrame, *, year: int | str | dict = "", outlines: gpd.GeoDataFrame | None = None,
                    codes: list[str] | None = None, legend: bool = True, caption: str = "",
                    reach_m: float | None = None, scope: str = "provincie") -> Figure:
    """Municipalities side by side in the 3x3 classes, two per row (each map 8.7 cm wide in print, each municipality
    filling its panel: every panel has its own scale and its own scale bar); with ``legend`` a strip under them holds
    the 3x3 legend, what it means, the not-ranked class and the partial-data pattern.

    ``codes``: the municipalities, in the order shown (default: all 10 of
    :data:`mgg_geo.data.regions.MUNICIPALITIES`).
    """
    from mgg_geo.data import regions

    codes = list(codes or regions.MUNICIPALITIES)
    shown = display_geometry(areas, tolerance=100.0)
    classes = bivariate_classes(shown["need_class"], shown["coverage_class"])
    rows = -(-len(codes) // 2)
    strip = STRIP_IN if legend else 0.0
    height = rows * ROW_IN + strip + 0.3
    fig, axes = _subplots(rows, 2, figsize=(PRINT_WIDTH_IN, height), squeeze=False)
    fig.subplots_adjust(left=0.01, right=0.99, top=1 - 0.25 / height, bottom=(strip + 0.3) / height, wspace=0.04,
                        hspace=0.16)
    cells = list(axes.ravel())
    for ax, code in zip(cells, codes, strict=False):
        part = shown[shown["gemeente_code"] == code]
        if len(part):
            _draw(ax, part, classes, linewidth=0.3)
            _draw_partial(ax, part, part.get("partial_data"))
        if outlines is not None and code in outlines.index:
            display_geometry(outlines.loc[[code]], 50.0).boundary.plot(ax=ax, color=OUTLINE_COLOUR, linewidth=0.6,
                                                                       zorder=4)
        ax.set_title(regions.MUNICIPALITIES[code], fontsize=TITLE_PT - 1)
        ax.set_axis_off()
        ax.set_aspect("equal", adjustable="datalim")  # every panel keeps its full cell, so each has its own scale
        if len(part):
            _scale_bar(ax)
        ax._mgg_map = True
    for ax in cells[len(codes):]:
        ax.set_axis_off()
    if legend:  # the strip: the grid, then what it means and the hatched and dotted areas
        inch_x, inch_y = 1.0 / PRINT_WIDTH_IN, 1.0 / height
        top = strip + 0.3
        _bivariate_legend(fig.add_axes([0.8 * inch_x, (top - 0.15 - _GRID_IN[1]) * inch_y, _GRID_IN[0] * inch_x,
                                        _GRID_IN[1] * inch_y]))
        extra = [partial_handle()] if "partial_data" in shown and shown["partial_data"].astype(bool).any() else []
        fig.legend(handles=_wrapped([_no_data_handle(classes), *extra], 48),
                   title=textwrap.fill(bivariate_key(reach_m, scope), 50), loc="upper left", frameon=False,
                   fontsize=LEGEND_PT,
                   title_fontsize=LEGEND_PT, alignment="left", borderaxespad=0.0,
                   bbox_to_anchor=(2.6 * inch_x, (top - 0.15) * inch_y))
    _attribution(fig, year)
    names = fmt.listing([regions.MUNICIPALITIES[c] for c in codes])
    alt = f"{fmt.count(len(codes), 'kaartje', 'kaartjes')}, één per gemeente ({names}), gekleurd naar behoefte " \
          "tegen dekking."
    return _figure(fig, alt, caption)


@_plain_text
def whatif_map(areas: gpd.GeoDataFrame, effect: pd.DataFrame, new_sites: gpd.GeoDataFrame, *, existing=None,
               year: int | str | dict = "", outlines: gpd.GeoDataFrame | None = None, code: str | None = None,
               target: str = "jongeren", reach_m: float | None = None) -> Figure:
    """The suggested new sites (numbered stars) and how much coverage each area gains (within ``reach_m`` metres,
    default :data:`mgg_geo.rules.REACH_M`)."""
    shown = display_geometry(areas)
    gain = (effect["reach_after"] - effect["reach_before"]).reindex(shown.index).fillna(0.0)
    classes = gain_classes(gain, target=target, reach_m=reach_m)
    fig, ax = _axes("Voorstel: nieuwe locaties en wat ze bereiken")
    _draw(ax, shown, classes)
    if existing is not None and len(existing):
        physical = existing[~is_area_wide(existing)]
        ax.scatter(physical.geometry.x, physical.geometry.y, s=14, c="#777777", zorder=5)._mgg_sites = True
    ax.scatter(new_sites.geometry.x, new_sites.geometry.y, s=170, marker="*", c=PROPOSAL_COLOUR, edgecolors="black",
               linewidths=0.6, zorder=8)._mgg_sites = True
    for _, site in new_sites.iterrows():
        ax.annotate(str(int(site["step"])), (site.geometry.x, site.geometry.y), xytext=(7, 5),
                    textcoords="offset points", fontsize=9, fontweight="bold", zorder=9)
    handles = _legend_handles(classes, shown) + _draw_partial(ax, shown, shown.get("partial_data"))
    handles += [Line2D([], [], marker="*", linestyle="", markersize=12, markerfacecolor=PROPOSAL_COLOUR,
                       markeredgecolor="black", label="nieuwe locatie (stap)"),
                Line2D([], [], marker="o", linestyle="", markerfacecolor="#777777", markeredgecolor="#777777",
                       label="bestaande locatie")]
    _context(ax, shown, outlines, code)
    _finish(fig, ax, handles, classes.title, year)
    distance = fmt.radius(rules.REACH_M if reach_m is None else reach_m)
    alt = (f"Kaart met {fmt.count(len(new_sites), 'voorgestelde nieuwe locatie', 'voorgestelde nieuwe locaties')} "
           f"en de gebieden waar daardoor meer {target} binnen {distance} van een locatie wonen.")
    return _figure(fig, alt)


def spread(positions: list[float], gap: float, low: float, high: float) -> list[float]:
    """Positions (sorted ascending) moved as little as needed to lie at least ``gap`` apart within ``[low, high]``.

    >>> spread([0.0, 0.1, 0.2, 5.0], 1.0, 0.0, 10.0)
    [0.0, 1.0, 2.0, 5.0]
    >>> spread([9.5, 9.8, 10.0], 1.0, 0.0, 10.0)
    [8.0, 9.0, 10.0]
    """
    out = [min(max(p, low), high) for p in positions]
    for i in range(1, len(out)):
        out[i] = max(out[i], out[i - 1] + gap)
    if out and out[-1] > high:
        out[-1] = high
        for i in range(len(out) - 2, -1, -1):
            out[i] = min(out[i], out[i + 1] - gap)
    return out


@_plain_text
def slope_chart(series: pd.DataFrame, changes: pd.DataFrame, names: pd.Series, *, indicator: str, title: str,
                unit: str = "%", ylabel: str = "") -> Figure:
    """Every area's value over the vintages, one line per area, coloured by its latest change.

    Areas that changed clearly are named at the end of their line, spread so that no two names overlap and joined
    to their line by a thin leader; when more changed than fit, the largest changes are named (the legend says so).
    The legend sits under the chart, inside the figure.

    Parameters
    ----------
    series
        ``code``, ``indicator``, ``year``, ``value``, ``estimated`` (see :func:`mgg_geo.analysis.trends.changes`).
    changes
        The changes (``code``, ``indicator``, ``verdict``, ``change``): rise orange, fall blue, no clear change grey.
    names
        Area names by code, for the labels of areas that changed clearly.
    ylabel
        The axis title (default: ``unit``).
    """
    part = series[series["indicator"] == indicator]
    own = changes[changes["indicator"] == indicator].set_index("code")
    verdicts = own["verdict"]
    fig, ax = _subplots(figsize=(PRINT_WIDTH_IN, 4.6))
    fig.subplots_adjust(left=0.09, right=0.66, top=0.90, bottom=0.25)
    ends = []
    for code, line in part.sort_values("year").groupby("code"):
        verdict = verdicts.get(code, "none")
        dashed = bool(line["estimated"].any())
        ax.plot(line["year"], line["value"], color=labels.VERDICT_COLOURS[verdict],
                linewidth=1.6 if verdict != "none" else 1, linestyle="--" if dashed else "-", marker="o",
                markersize=3, zorder=3 if verdict != "none" else 2)
        if verdict in ("up", "down"):
            size = abs(float(own["change"].get(code, 0.0))) if "change" in own else 0.0
            ends.append((float(line["value"].iloc[-1]), fmt.name(names.get(code, code)),
                         labels.VERDICT_COLOURS[verdict], line["year"].iloc[-1], size))
    years = sorted(part["year"].unique())
    ax.set_xticks(years, [str(y) for y in years])
    ax.tick_params(labelsize=LEGEND_PT)
    # whole-number ticks only, so that a tick is printed as what it is (a step of 2,5 printed "38" for 37,5)
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: fmt.number(v, 0)))
    ax.set_ylabel(ylabel or unit, fontsize=LEGEND_PT)
    ax.set_title(title, fontsize=TITLE_PT, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    shown_note = ""
    ax.autoscale_view()
    ax.set_ylim(*ax.get_ylim())  # fixed now: the names are placed against these limits
    if ends:  # names at the line ends, spread so that none overlaps another, each with a leader to its line
        renderer = fig.canvas.get_renderer()
        frame = ax.get_window_extent(renderer)
        gap = LABEL_PT * 1.45 * fig.dpi / 72
        room = int(frame.height // gap) + 1
        if len(ends) > room:
            ends = sorted(ends, key=lambda e: -e[4])[:room]
            shown_note = f"namen: de {fmt.number(room)} grootste veranderingen"
        ends.sort(key=lambda e: e[0])
        to_axes = ax.transAxes.inverted()
        heights = [ax.transData.transform((e[3], e[0]))[1] for e in ends]
        placed = spread(heights, gap, frame.y0, frame.y1)
        for (value, text, colour, year, _), y in zip(ends, placed, strict=True):
            target = to_axes.transform((frame.x1, y))[1]
            ax.annotate(text, (year, value), xytext=(1.06, target), textcoords="axes fraction", fontsize=LABEL_PT,
                        va="center", ha="left", color=colour, annotation_clip=False,
                        arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.6, "shrinkA": 0, "shrinkB": 2})
    handles = [Line2D([], [], color=labels.VERDICT_COLOURS[k], label=labels.VERDICTS[k])
               for k in ("up", "down", "none")]
    handles.append(Line2D([], [], color="#555555", linestyle="--", label="omgerekend naar de huidige grens "
                                                                          "(schatting)"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.12), ncol=2, frameon=False,
              fontsize=LEGEND_PT, title=shown_note or None, title_fontsize=LEGEND_PT, alignment="left")
    alt = f"Lijngrafiek: {title}, één lijn per gebied over de jaren."
    return _figure(fig, alt)

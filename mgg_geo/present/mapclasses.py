"""The classes of every map, static or interactive: which class and colour an area gets, and the legend in Dutch.

No drawing here (and no matplotlib): :mod:`mgg_geo.present.maps` draws the static maps,
:mod:`mgg_geo.present.webmap` the interactive pages, both from these classes.

Conventions
-----------
* **One set of classes.** Every map colours areas through the classifiers
  here (:func:`need_classes`, :func:`coverage_classes`,
  :func:`distance_classes`, :func:`bivariate_classes`, :func:`gain_classes`),
  each returning a :class:`Classes`: a colour per area and the full legend,
  including "geen gegevens" when an area has no value. Missing values are
  never coloured as a value.
* **Comparable.** The need map is diverging and centred at 0 (the province
  average), with the province-wide bounds the analysis computed
  (:func:`mgg_geo.analysis.chain.need_breaks`); coverage has fixed classes
  (:data:`mgg_geo.rules.COVERAGE_BREAKS`); distance has breaks at the radii
  of the site counts (:data:`mgg_geo.rules.RADII_M`). Every legend states the
  rules it shows from :mod:`mgg_geo.rules`, read when it is made.
* **Colour-blind safe.** The bivariate 3x3 palette is Cynthia Brewer's
  sequential-sequential blue/orange scheme, laid out so that high need and
  low coverage (class 3-1) is the darkest, most salient cell; the need
  palette is ColorBrewer PuOr. ``tests/test_maps.py`` checks with a
  colour-vision-deficiency simulation that every pair of classes stays
  distinguishable.
* Boundaries are simplified for display only (:func:`display_geometry`,
  :data:`DISPLAY_TOLERANCE_M`); every computation uses the unsimplified
  EPSG:28992 geometry.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from mgg_geo import rules
from mgg_geo.analysis.coverage import coverage_class
from mgg_geo.data import catalogue
from mgg_geo.present import fmt, labels

#: Simplification of boundaries for display (m, EPSG:28992).
DISPLAY_TOLERANCE_M = 50.0
#: The label of the hatched class of areas without a value.
NO_DATA = "geen gegevens"
#: Neighbouring municipalities (fill) and the municipality's own outline.
NEIGHBOUR_COLOUR = "#e9e9e9"
OUTLINE_COLOUR = "#222222"
#: Quantile classes of any indicator (exploring): light to dark.
SEQUENTIAL = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")
#: ColorBrewer PuOr, 6 classes: purple below the province average (less need), orange above (more need).
DIVERGING = ("#542788", "#998ec3", "#d8daeb", "#fee0b6", "#f1a340", "#b35806")
#: Site symbols by programme; any other programme, or several on one point, in :data:`OTHER_COLOUR`.
PROGRAMME_COLOURS = {"STORM": "#1b9e77", "KoPPeLing": "#d95f02", "Move aHead": "#7570b3"}
OTHER_COLOUR = "#666666"
#: The programme an initiative left out for want of an age range shows on the interactive map, in its own colour.
UNCOUNTED = "telt niet mee: geen leeftijdsbereik in het register"
#: The same for a place whose source is dated (status gedateerd: whether it still exists is not known).
UNCOUNTED_DATED = "telt niet mee: status gedateerd (of de plek nog bestaat, is niet nagegaan)"
UNCOUNTED_COLOUR = "#e7298a"  # not grey: other programmes are drawn in OTHER_COLOUR
#: The proposed new sites (the what-if's steps), on the static and the interactive maps.
PROPOSAL_COLOUR = "#d7301f"
#: Fixed coverage classes (see :data:`mgg_geo.rules.COVERAGE_BREAKS`): laag, midden, hoog.
COVERAGE_CLASS_COLOURS = {1: "#deebf7", 2: "#6baed6", 3: "#08519c"}
#: Distance to the nearest site: up to each radius of the site counts (:data:`mgg_geo.rules.RADII_M`) and beyond.
DISTANCE_COLOURS = ("#08519c", "#6baed6", "#fdae6b", "#d94801")
#: Cynthia Brewer's sequential-sequential 3x3 scheme (blue x orange), as published (row-major, light corner
#: first). BIVARIATE[need_class][coverage_class] puts need on the orange axis and *lack* of coverage on the
#: blue axis, so 3-1 (hoge behoefte, lage dekking) gets the darkest cell.
BREWER_SEQSEQ2 = ("#f3f3f3", "#b4d3e1", "#509dc2", "#f3e6b3", "#b3b3b3", "#376387", "#f3b300", "#b36600", "#000000")
BIVARIATE = {n: {c: BREWER_SEQSEQ2[(3 - c) + 3 * (n - 1)] for c in (1, 2, 3)} for n in (1, 2, 3)}


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


def need_class_note(breaks: dict, code: str | None = None) -> str:
    """How the need classes of the text ("hoge behoefte") lie on the need index, which the need map's colours
    divide otherwise (around 0): "Hoge, middelmatige en lage behoefte: ... hoog boven 0,16, laag −0,45 of lager."
    (``breaks``: :attr:`mgg_geo.analysis.Analysis.map_breaks`; '' without class bounds)."""
    local = breaks.get("scope") == "gemeente"
    bounds = (breaks.get("classes_by_gemeente") or {}).get(code) if local else breaks.get("classes")
    if not bounds:
        return ""
    low, high = bounds
    groups = NEED_GROUPS["gemeente" if local else "provincie"]
    return (f"Hoge, middelmatige en lage behoefte in de tekst: {groups}; hoog boven {fmt.number(high, 2)}, laag "
            f"{fmt.number(low, 2)} of lager.")


def attribution(boundaries, *, background: bool = False) -> str:
    """The attribution line of every map, static or interactive: "Kaart: <the boundaries' holder>, 2024; vereenvoudigd
    voor weergave." (:func:`mgg_geo.data.catalogue.boundary_attribution`; ``background``: and the optional
    OpenStreetMap layer of an interactive map).

    ``boundaries`` is the boundaries' year, or their source manifest: then a file simplified by others (its
    ``simplified_by``) is credited too: "...; vereenvoudigd door cartomap/nl en voor weergave."
    """
    manifest = boundaries if isinstance(boundaries, dict) else {"year": boundaries}
    by = manifest.get("simplified_by")
    line = (f"Kaart: {catalogue.boundary_attribution(manifest.get('year', ''))}; vereenvoudigd "
            f"{f'door {by} en ' if by else ''}voor weergave.")
    return line + (" Achtergrond (optioneel): © OpenStreetMap-bijdragers." if background else "")


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
    # worded against the province average, not as "minder/meer behoefte": the need classes of the text (terciles)
    # say "middelmatige behoefte" of an area just below 0, which "iets minder behoefte" contradicted
    names = [f"ver onder het gemiddelde: {fmt.number(-b2, 2)} of lager",
             f"onder het gemiddelde: {fmt.number(-b2, 2)} tot {fmt.number(-b1, 2)}",
             f"iets onder het gemiddelde: {fmt.number(-b1, 2)} tot 0",
             f"iets boven het gemiddelde: 0 tot {fmt.number(b1, 2)}",
             f"boven het gemiddelde: {fmt.number(b1, 2)} tot {fmt.number(b2, 2)}",
             f"ver boven het gemiddelde: hoger dan {fmt.number(b2, 2)}"]
    where = "klassen van de provincie" if scope == "provincie" else "klassen binnen de gemeente"
    legend = list(zip(DIVERGING, names, strict=True))[::-1]  # the most need on top
    return Classes(colours, legend, f"Behoefte-index: 0 is het gemiddelde van de provincie ({where})")


def coverage_legend() -> list[tuple[int, str]]:
    """The coverage classes ``(class, Dutch label)``, high first, worded from the bounds of
    :data:`mgg_geo.rules.COVERAGE_BREAKS` (as a fraction in words and in percent)."""
    lo, hi = rules.COVERAGE_BREAKS
    return [(3, f"hoog: {fmt.share_words(hi)} of meer ({fmt.percent_range(hi, 1)})"),
            (2, f"midden: {fmt.share_span(lo, hi)} ({fmt.percent_range(lo, hi)})"),
            (1, f"laag: minder dan {fmt.share_words(lo)} ({fmt.percent_range(0, lo)})")]


def coverage_classes(reach: pd.Series, reach_m: float | None = None) -> Classes:
    """The coverage measure (share of the target group within ``reach_m`` metres, default
    :data:`mgg_geo.rules.REACH_M`) in its three fixed classes."""
    classes = coverage_class(reach)  # the analysis' own classes
    colours = _coloured(classes, classes.fillna(1).to_numpy(), COVERAGE_CLASS_COLOURS)
    legend = [(COVERAGE_CLASS_COLOURS[c], text) for c, text in coverage_legend()]
    distance = fmt.radius(rules.REACH_M if reach_m is None else reach_m)
    return Classes(colours, legend, f"Dekking: deel van de doelgroep dat binnen {distance} van een locatie woont")


def distance_classes(nearest_km: pd.Series) -> Classes:
    """Distance to the nearest physical site in classes with breaks at the radii of the site counts
    (:data:`mgg_geo.rules.RADII_M`)."""
    x = pd.to_numeric(nearest_km, errors="coerce")
    bounds = [r / 1000.0 for r in rules.RADII_M]
    colours = _coloured(x, np.searchsorted(np.asarray(bounds), x.to_numpy(), side="left"), DISTANCE_COLOURS)
    a, b, c = (fmt.radius(r, unit=False) for r in rules.RADII_M)
    legend = list(zip(DISTANCE_COLOURS, [f"tot {a} km", f"{a} tot {b} km", f"{b} tot {c} km", f"meer dan {c} km"],
                      strict=True))
    return Classes(colours, legend, "Afstand tot de dichtstbijzijnde locatie (hemelsbreed)", "geen locatie")


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


#: How the need classes are cut, by the scope of the class breaks (``--class-breaks``): one phrase for every text.
NEED_GROUPS = {"provincie": "de gebieden van de provincie in drie even grote groepen",
               "gemeente": "de gerangschikte gebieden van elke gemeente in drie groepen (bij een derde en twee derde)"}


def bivariate_key(reach_m: float | None = None, scope: str = "provincie") -> str:
    """Under the 3x3 grid: what its classes mean, with units (the reach ``reach_m`` in metres, default
    :data:`mgg_geo.rules.REACH_M`, the need classes of ``scope``, :data:`NEED_GROUPS`, and the bounds of
    :data:`mgg_geo.rules.COVERAGE_BREAKS`)."""
    lo, hi = rules.COVERAGE_BREAKS
    distance = fmt.radius(rules.REACH_M if reach_m is None else reach_m)
    return (f"Behoefte: {NEED_GROUPS[scope]}. Dekking: deel van de doelgroep "
            f"binnen {distance}; laag onder {fmt.share_words(lo)}, hoog vanaf {fmt.share_words(hi)}.")


#: Extra coverage per area in the what-if map: no gain, then up to each bound of the coverage classes and beyond.
GAIN_COLOURS = ("#f2f2f2", "#c7e9c0", "#74c476", "#238b45")


def gain_bands() -> tuple[tuple[float, str, str], ...]:
    """The classes of extra coverage in the what-if map, ``(upper bound (share), colour, label)``, in the thirds of
    the coverage classes (:data:`mgg_geo.rules.COVERAGE_BREAKS`)."""
    lo, hi = rules.COVERAGE_BREAKS
    labels_ = ("geen extra dekking", f"tot {fmt.share_words(lo)} erbij ({fmt.percent_range(0, lo)})",
               f"{fmt.share_span(lo, hi)} erbij ({fmt.percent_range(lo, hi)})",
               f"{fmt.share_words(hi)} of meer erbij ({fmt.percent_range(hi, 1)})")
    return tuple(zip((0.0, lo, hi, 1.01), GAIN_COLOURS, labels_, strict=True))


def gain_classes(gain: pd.Series, *, target: str = "jongeren", reach_m: float | None = None) -> Classes:
    """The extra coverage per area (share 0-1 of the target group newly within ``reach_m`` metres, default
    :data:`mgg_geo.rules.REACH_M`) in the classes of :func:`gain_bands`."""
    bands = gain_bands()
    # a bound belongs to the class above it, as in the coverage classes (exactly two thirds is "twee derde of meer")
    colour = [next(c for upper, c, _ in bands[1:] if g < upper - 1e-12) if g > 1e-12 else bands[0][1] for g in gain]
    distance = fmt.radius(rules.REACH_M if reach_m is None else reach_m)
    return Classes(pd.Series(colour, index=gain.index, dtype="object"), [(c, t) for _, c, t in bands],
                   f"Extra dekking: deel van de {target} dat er binnen {distance} van een locatie bij komt")

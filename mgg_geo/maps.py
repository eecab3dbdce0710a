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
  so the report reads offline, in e-mail and in print; folium maps need the
  Leaflet CDN and are saved as separate HTML files.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from . import settings  # noqa: E402
from .cache import atomic_file  # noqa: E402
from .initiatives import PLACEMENT_LABELS  # noqa: E402

DISPLAY_TOLERANCE_M = 50.0
NO_DATA = "geen gegevens"
NO_DATA_COLOUR = "#c8c8c8"
SEQUENTIAL = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")
COVERAGE_COLOURS = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
PROGRAMME_COLOURS = {"STORM": "#1b9e77", "KoPPeLing": "#d95f02", "Move aHead": "#7570b3"}
OTHER_COLOUR = "#666666"
PLACEMENT_MARKERS = {"exact": "o", "address": "o", "postcode": "s", "town": "s", "area": "^"}
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


def breaks(values: pd.Series, *, k: int = 5, scheme: str = "Quantiles") -> list[float]:
    """Upper class bounds from ``mapclassify`` (``scheme``, ``k`` classes) of the present values.

    ``mapclassify`` is imported here, not at module level: it pulls in scipy.stats and
    scikit-learn (about a second), and report kernels apply precomputed breaks instead
    (see :attr:`mgg_geo.analysis.Analysis.map_breaks`).
    """
    import mapclassify

    present = pd.to_numeric(values, errors="coerce").dropna()
    if present.empty:
        return []
    k = max(1, min(k, present.nunique()))
    if k == 1:
        return [float(present.iloc[0])]
    return [float(b) for b in getattr(mapclassify, scheme)(present.to_numpy(), k=k).bins]


def classes(values: pd.Series, *, bins: list[float] | None = None, k: int = 5, scheme: str = "Quantiles",
            fmt: str = "{:.1f}", unit: str = "") -> tuple[pd.Series, list[str]]:
    """Classes of the present values (by ``bins``, default: :func:`breaks`); NaN gets class -1.

    Returns
    -------
    (pandas.Series, list of str)
        Class per value (0..n-1, -1 for missing; as mapclassify's ``yb``) and Dutch legend labels.
    """
    x = pd.to_numeric(values, errors="coerce")
    present = x.dropna()
    out = pd.Series(-1, index=values.index, dtype="int64")
    if present.empty:
        return out, []
    bins = list(bins) if bins is not None else breaks(present, k=k, scheme=scheme)
    bins[-1] = max(bins[-1], float(present.max()))  # values beyond precomputed bins fall in the top class
    out[present.index] = np.minimum(np.searchsorted(bins, present.to_numpy(), side="left"), len(bins) - 1)
    lower = [float(present.min())] + bins[:-1]
    labels = [f"{fmt.format(lo)} – {fmt.format(hi)}{unit}" for lo, hi in zip(lower, bins)]
    return out, labels


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
               k: int = 5, fmt: str = "{:.1f}", unit: str = "", year: int | str = "", sites=None,
               alt: str | None = None, caption: str = "", bins: list[float] | None = None) -> Figure:
    """Static choropleth of ``column`` with a grey "geen gegevens" class (and optional initiative markers).

    ``bins``: precomputed class bounds (default: mapclassify quantiles of the shown values).
    """
    shown = display_geometry(areas)
    cls, labels = classes(shown[column], bins=bins, k=min(k, len(colours)), fmt=fmt, unit=unit)
    palette = list(colours)[-len(labels):] if labels else []
    fig, ax = _base_axes(shown, title)
    face = [NO_DATA_COLOUR if c < 0 else palette[c] for c in cls]
    shown.plot(ax=ax, color=face, edgecolor="white", linewidth=0.4)
    handles = [Patch(facecolor=p, edgecolor="#999999", label=lab) for p, lab in zip(palette, labels)]
    if (cls < 0).any():
        handles.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor="#999999", label=NO_DATA))
    if sites is not None and len(sites):
        handles += _plot_sites(ax, sites)
    _finish(fig, ax, handles, legend_title, year)
    return Figure(_image(fig, alt or f"Kaart: {title}", caption))


def _plot_sites(ax, sites: gpd.GeoDataFrame) -> list:
    handles = []
    for programme, group in sites.groupby(sites["programme"].where(sites["programme"].isin(PROGRAMME_COLOURS),
                                                                   "overig")):
        colour = PROGRAMME_COLOURS.get(programme, OTHER_COLOUR)
        for placement, part in group.groupby("placement"):
            ax.scatter(part.geometry.x, part.geometry.y, s=34, c=colour, marker=PLACEMENT_MARKERS.get(placement, "o"),
                       edgecolors="black", linewidths=0.6, zorder=5)
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor=colour, markeredgecolor="black",
                              label=f"initiatief: {programme}"))
    for placement in sorted(set(sites["placement"])):
        handles.append(Line2D([], [], marker=PLACEMENT_MARKERS.get(placement, "o"), linestyle="",
                              markerfacecolor="white", markeredgecolor="black",
                              label=f"locatie: {PLACEMENT_LABELS.get(placement, placement)}"))
    return handles


def bivariate(areas: gpd.GeoDataFrame, *, title: str, year: int | str = "", sites=None, caption: str = "") -> Figure:
    """Static 3x3 need x coverage map with its legend grid."""
    shown = display_geometry(areas)
    fig, ax = _base_axes(shown, title)
    face = [BIVARIATE[int(n)][int(c)] if n == n and c == c else NO_DATA_COLOUR
            for n, c in zip(shown["need_class"], shown["coverage_class"])]
    shown.plot(ax=ax, color=face, edgecolor="white", linewidth=0.4)
    handles = []
    if sites is not None and len(sites):
        handles = _plot_sites(ax, sites)
    if shown["need_class"].isna().any():
        handles.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor="#999999", label=NO_DATA))
    if handles:
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(1.04, 0.0), frameon=False, fontsize=8)
    inset = fig.add_axes([0.76, 0.58, 0.17, 0.24])
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
    fig.text(0.01, 0.01, ATTRIBUTION.format(year=year), fontsize=7, color="#555555")
    alt = (f"Kaart: {title}. Kleur per gebied: behoefte (laag, midden, hoog) tegen dekking (laag, midden, hoog); "
           "paars-rood = hoge behoefte en lage dekking.")
    return Figure(_image(fig, alt, caption))


def small_multiples(areas: gpd.GeoDataFrame, *, year: int | str = "") -> Figure:
    """The 10 municipalities side by side, each coloured by its bivariate class."""
    from . import regions

    shown = display_geometry(areas, tolerance=100.0)
    fig, axes = plt.subplots(2, 5, figsize=(13, 6.2))
    for ax, (code, name) in zip(axes.ravel(), regions.MUNICIPALITIES.items()):
        part = shown[shown["gemeente_code"] == code]
        face = [BIVARIATE[int(n)][int(c)] if n == n and c == c else NO_DATA_COLOUR
                for n, c in zip(part["need_class"], part["coverage_class"])]
        if len(part):
            part.plot(ax=ax, color=face, edgecolor="white", linewidth=0.3)
        ax.set_title(name, fontsize=10)
        ax.set_axis_off()
    handles = [Patch(facecolor=BIVARIATE[3][1], label="hoge behoefte, lage dekking"),
               Patch(facecolor=BIVARIATE[3][3], label="hoge behoefte, hoge dekking"),
               Patch(facecolor=BIVARIATE[1][1], label="lage behoefte, lage dekking"),
               Patch(facecolor=BIVARIATE[1][3], label="lage behoefte, hoge dekking"),
               Patch(facecolor=NO_DATA_COLOUR, label=NO_DATA)]
    fig.subplots_adjust(bottom=0.12)
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.035), ncol=5, frameon=False, fontsize=9)
    fig.text(0.01, 0.005, ATTRIBUTION.format(year=year), fontsize=7, color="#555555")
    alt = "Tien kaartjes, één per gemeente, gekleurd naar behoefte tegen dekking."
    return Figure(_image(fig, alt, "Behoefte tegen dekking per gemeente (zelfde klassen als in de gemeenterapporten)."))


def slope_chart(series: pd.DataFrame, changes: pd.DataFrame, names: pd.Series, *, indicator: str, title: str,
                unit: str = "%") -> Figure:
    """Every area's value over the vintages, one line per area, coloured by its latest change.

    Parameters
    ----------
    series
        ``code``, ``indicator``, ``year``, ``value``, ``estimated`` (see :func:`mgg_geo.trends.changes`).
    changes
        The changes (``code``, ``indicator``, ``verdict``): rise orange, fall blue, no clear change grey.
    names
        Area names by code, for the labels of areas that changed clearly.
    """
    from .labels import VERDICT_COLOURS, VERDICTS

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


# --------------------------------------------------------------------------- folium


def _fmt(value, fmt: str = "{:.1f}", unit: str = "") -> str:
    return NO_DATA if value is None or (isinstance(value, float) and np.isnan(value)) else fmt.format(value) + unit


def interactive(areas: gpd.GeoDataFrame, column: str, *, legend_title: str, tooltip: dict[str, tuple[str, str, str]],
                colours=SEQUENTIAL, sites=None, providers=None, year: int | str = "", bins: list[float] | None = None):
    """An interactive folium map of ``column`` with Dutch tooltips, initiative markers and a layer control.

    Parameters
    ----------
    tooltip
        ``{column: (Dutch label, format, unit)}`` shown on hover; values are
        pre-formatted strings and every text is HTML-escaped.
    """
    import folium

    shown = display_geometry(areas).to_crs(settings.CRS_WEB)
    cls, labels = classes(shown[column], bins=bins, k=len(colours))
    palette = list(colours)[-len(labels):] if labels else []
    props = pd.DataFrame(index=shown.index)
    props["naam"] = shown["name"].astype("string").fillna("").map(html.escape)
    fields, aliases = ["naam"], ["Gebied"]
    for col, (label, fmt, unit) in tooltip.items():
        key = f"t_{len(fields)}"
        props[key] = [html.escape(_fmt(v, fmt, unit)) for v in shown[col]]
        fields.append(key)
        aliases.append(html.escape(label))
    props["kleur"] = [NO_DATA_COLOUR if c < 0 else palette[c] for c in cls]
    layer_frame = gpd.GeoDataFrame(props, geometry=shown.geometry.set_precision(1e-5), crs=settings.CRS_WEB)
    minx, miny, maxx, maxy = shown.total_bounds
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=10, prefer_canvas=True,
                      tiles=None, control_scale=True)
    folium.TileLayer("OpenStreetMap", name="Achtergrondkaart (OpenStreetMap)", attr="© OpenStreetMap").add_to(fmap)
    folium.GeoJson(
        layer_frame.to_json(),
        name=html.escape(legend_title),
        style_function=lambda f: {"fillColor": f["properties"]["kleur"], "color": "#ffffff", "weight": 0.6,
                                  "fillOpacity": 0.75},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
    ).add_to(fmap)
    for layer_name, frame in (("Initiatieven (preventie)", sites), ("GGZ-aanbieders", providers)):
        if frame is None or not len(frame):
            continue
        group = folium.FeatureGroup(name=layer_name)
        for _, row in frame.to_crs(settings.CRS_WEB).iterrows():
            colour = PROGRAMME_COLOURS.get(row["programme"], OTHER_COLOUR) if layer_name.startswith("Init") \
                else "#000000"
            text = (f"<b>{html.escape(str(row['name']))}</b><br>{html.escape(str(row['programme']))}<br>"
                    f"locatie: {html.escape(PLACEMENT_LABELS.get(row['placement'], str(row['placement'])))}")
            folium.CircleMarker([row.geometry.y, row.geometry.x], radius=6 if row["placement"] != "area" else 4,
                                color="#000000", weight=1, fill=True, fill_color=colour, fill_opacity=0.9,
                                dash_array=None if row["placement"] in ("exact", "address") else "3",
                                popup=folium.Popup(text, max_width=300),
                                tooltip=html.escape(str(row["name"]))).add_to(group)
        group.add_to(fmap)
    legend = "".join(f'<div><span style="background:{p};display:inline-block;width:12px;height:12px;'
                     f'margin-right:4px"></span>{html.escape(lab)}</div>' for p, lab in zip(palette, labels))
    legend += (f'<div><span style="background:{NO_DATA_COLOUR};display:inline-block;width:12px;height:12px;'
               f'margin-right:4px"></span>{NO_DATA}</div>')
    fmap.get_root().html.add_child(folium.Element(
        f'<div style="position:fixed;bottom:20px;left:20px;z-index:1000;background:white;padding:6px;'
        f'font:12px sans-serif;border:1px solid #999"><b>{html.escape(legend_title)}</b>{legend}'
        f'<div style="margin-top:4px;color:#555">{html.escape(ATTRIBUTION.format(year=year))}</div></div>'))
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def save_map(fmap, path: str | Path) -> Path:
    """Save a folium map as standalone HTML, atomically."""
    path = Path(path)
    with atomic_file(path, suffix=".html") as tmp:
        fmap.save(str(tmp))
    return path

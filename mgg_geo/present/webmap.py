"""The interactive map pages (folium/Leaflet): offline, escaped for their context, compact.

Offline
    Leaflet 1.9.4 and Leaflet.markercluster 1.5.3 come from the npm packages
    pinned in ``assets/package.json`` (``make`` installs them into
    ``settings.MAP_ASSETS``) and are inlined into every page: a page opens
    without any network. Background tiles (OpenStreetMap) are an optional
    layer, off by default; without them the map shows the CBS outlines only.
Escaping
    User text (initiative names, area names) reaches JavaScript only as JSON
    (the ``tojson`` filter) and reaches the page only through
    ``textContent`` or, for the area tooltips, as HTML-escaped strings set as
    ``innerHTML``. No user text is ever placed inside a JavaScript template
    literal or handler, so ``${...}``, backticks, quotes and ``</script>``
    are inert.
Compact
    Initiatives are one clustered layer whose data is a JSON array of rows
    (``[lat, lon, name, programme, placement]``), so a 20,000-row register
    stays well under 2 MB; sites at the same point (approximate placements)
    cluster into one symbol with a count.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mgg_geo import settings
from mgg_geo.analysis.coverage import is_area_wide
from mgg_geo.analysis.gap import MAX_MISSING_SHARE
from mgg_geo.data import regions
from mgg_geo.data.cache import atomic_file
from mgg_geo.errors import DataError
from mgg_geo.present import fmt, labels, maps

#: The inlined assets, relative to ``settings.MAP_ASSETS`` (``node_modules``).
SCRIPTS = ("leaflet/dist/leaflet.js", "leaflet.markercluster/dist/leaflet.markercluster.js")
STYLES = ("leaflet/dist/leaflet.css", "leaflet.markercluster/dist/MarkerCluster.css",
          "leaflet.markercluster/dist/MarkerCluster.Default.css")
#: Coordinates in the page are rounded to this many decimals (about 1 m).
DECIMALS = 5
#: The edge of areas flagged "onvolledige gegevens" (thick and dotted, over every layer's colours).
PARTIAL_EDGE = maps.PARTIAL_EDGE


def _asset(relative: str) -> str:
    path = Path(settings.MAP_ASSETS) / relative
    if not path.is_file():
        raise DataError(f"The map library {relative} is missing from {settings.MAP_ASSETS}. Run 'make' (it installs "
                        "the pinned npm packages of assets/package.json) or 'npm ci --prefix assets'.")
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"//# sourceMappingURL=\S+", "", text)
    if relative.endswith(".css"):  # images referenced by the stylesheet travel inside it
        def inline(match):
            image = path.parent / match.group(1)
            if not image.is_file():
                return match.group(0)
            return f"url(data:image/png;base64,{base64.b64encode(image.read_bytes()).decode()})"
        text = re.sub(r"url\((images/[^)]+\.png)\)", inline, text)
    return text


def _assets() -> str:
    """The inline ``<style>`` and ``<script>`` blocks of Leaflet and the cluster plugin."""
    styles = "".join("<style>" + _asset(p) + "</style>" for p in STYLES)
    scripts = "".join("<script>" + _asset(p).replace("</script", "<\\/script") + "</script>" for p in SCRIPTS)
    return styles + scripts


def _classes():
    """The folium element classes (imported lazily: folium is only needed for interactive maps)."""
    import folium
    from branca.element import MacroElement
    from folium.plugins import MarkerCluster
    from folium.template import Template

    class Sites(MarkerCluster):
        """Clustered initiative markers from JSON rows; popups and tooltips built with textContent."""

        _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.markerClusterGroup({{ this.options|tojavascript }});
        (function (group) {
            var rows = {{ this.rows|tojson }};
            var programmes = {{ this.programmes|tojson }};
            var colours = {{ this.colours|tojson }};
            var placements = {{ this.placements|tojson }};
            var approximate = {{ this.approximate|tojson }};
            rows.forEach(function (r) {
                var rough = approximate.indexOf(r[4]) >= 0;
                var marker = L.circleMarker([r[0], r[1]], {radius: 7, color: "#000000", weight: rough ? 2 : 1,
                    dashArray: rough ? "3" : null, fillColor: rough ? "#ffffff" : colours[r[3]],
                    fillOpacity: 0.95});
                var box = document.createElement("div");
                var title = document.createElement("strong");
                title.textContent = r[2];
                box.appendChild(title);
                [programmes[r[3]], {{ this.place_word|tojson }} + placements[r[4]]].forEach(function (text) {
                    box.appendChild(document.createElement("br"));
                    box.appendChild(document.createTextNode(text));
                });
                marker.bindPopup(box);
                var tip = document.createElement("span");
                tip.textContent = r[2];
                marker.bindTooltip(tip);
                group.addLayer(marker);
            });
        })({{ this.get_name() }});
        {% endmacro %}
        """)
        default_js: list = []
        default_css: list = []

        def __init__(self, rows, programmes, colours, placements, approximate, *, name):
            super().__init__(name=name, maxClusterRadius=25, spiderfyOnMaxZoom=True, showCoverageOnHover=False)
            self.rows, self.programmes, self.colours = rows, programmes, colours
            self.placements, self.approximate = placements, approximate
            self.place_word = "plek: "

    class Scale(MacroElement):
        """A scale bar in kilometres (no miles)."""

        _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, metric: true, position: "bottomright"}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """)

    class LegendSwitch(MacroElement):
        """Shows the legend of the layer chosen in the layer control."""

        _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.on("baselayerchange", function (e) {
            document.querySelectorAll(".mgg-legenda [data-laag]").forEach(function (box) {
                box.hidden = box.getAttribute("data-laag") !== e.name;
            });
        });
        {% endmacro %}
        """)

    class Assets(MacroElement):
        """Leaflet and the cluster plugin, inline in the page header."""

        _template = Template("""{% macro header(this, kwargs) %}{{ this.text }}{% endmacro %}""")

        def __init__(self):
            super().__init__()
            self.text = _assets()

    return folium, Sites, Scale, Assets, LegendSwitch


def _text(value, decimals, unit: str = "") -> str:
    """A tooltip value through the Dutch formatter: ``decimals`` is a number, "percent" (a 0-1 share) or None
    (text)."""
    if decimals is None:
        return fmt.MISSING if value is None or (isinstance(value, float) and value != value) else str(value)
    if decimals == "percent":
        return fmt.percent(value)
    return fmt.number(value, decimals, unit)


def _site_rows(sites: gpd.GeoDataFrame) -> tuple[list, list, list, list]:
    physical = sites[~is_area_wide(sites)].to_crs(settings.CRS_WEB)
    programmes = sorted(set(physical["programme"].astype(str)))
    placements = list(labels.PLACEMENTS)
    rows = [[round(g.y, DECIMALS), round(g.x, DECIMALS), str(name), programmes.index(str(p)),
             placements.index(pl) if pl in placements else 0]
            for g, name, p, pl in zip(physical.geometry, physical["name"], physical["programme"],
                                      physical["placement"], strict=True)]
    colours = [maps.PROGRAMME_COLOURS.get(p, maps.OTHER_COLOUR) for p in programmes]
    return rows, programmes, colours, [labels.PLACEMENTS[p] for p in placements]


@dataclass(frozen=True)
class Layer:
    """One switchable layer of an interactive map: a name (Dutch, shown in the layer control) and its classes."""

    name: str
    classes: maps.Classes


#: Tooltip rows of the municipality map: column -> (Dutch label, decimals or "percent" or None for text, unit).
TOOLTIP = {"need_index": ("Behoefte-index", 2, ""), "reach": ("Dekking (binnen 3 km)", "percent", ""),
           "nearest_km": ("Afstand tot locatie", 1, "km"), "gap_label": ("Klasse", None, ""),
           "data_label": ("Gegevens", None, ""),
           "low_income_share": ("Laag inkomen", 1, "%"), "lonely": ("Eenzaam (18+)", 1, "%")}


def data_labels(areas: pd.DataFrame, total: int) -> list[str]:
    """Per area: "volledig", or "onvolledige gegevens: 5 van 11 behoeftecijfers ontbreken" when flagged, or
    "onvoldoende gegevens" without a need index."""
    out = []
    for _, r in areas.iterrows():
        missing = total - int(r.get("indicators_present", total))
        if pd.isna(r.get("need_index")):
            out.append("onvoldoende gegevens (geen behoefte-index)")
        elif bool(r.get("partial_data", False)):
            out.append(f"{labels.PARTIAL}: {missing} van {total} behoeftecijfers ontbreken")
        else:
            out.append("volledig" if missing == 0 else f"{missing} van {total} behoeftecijfers ontbreken")
    return out


def municipality_map(result, code: str, bins: list[float]):
    """The interactive map of one municipality: need, coverage, distance and class as layers; offline.

    Parameters
    ----------
    result
        The :class:`mgg_geo.analysis.Analysis`.
    code
        The municipality (GM code).
    bins
        The need classes' bounds (:func:`mgg_geo.analysis.chain.need_breaks`).
    """
    areas = result.areas[result.areas["gemeente_code"] == code]
    from mgg_geo.data import catalogue

    total = len(catalogue.target_group(result.parameters["target_group"]).need_indicators)
    areas = areas.assign(gap_label=labels.gap_labels(areas["need_class"], areas["coverage_class"]),
                         data_label=data_labels(areas, total))
    sites = result.sites_near(code)
    layers = [Layer("Behoefte-index", maps.need_classes(areas["need_index"], bins,
                                                       scope=result.map_breaks.get("scope", "provincie"))),
              Layer("Dekking", maps.coverage_classes(areas["reach"])),
              Layer("Afstand tot locatie", maps.distance_classes(areas["nearest_km"])),
              Layer("Behoefte tegen dekking", maps.bivariate_classes(areas["need_class"], areas["coverage_class"]))]
    outlines = result.municipalities if len(result.municipalities) else None
    return interactive(areas, layers, tooltip={k: v for k, v in TOOLTIP.items() if k in areas}, sites=sites,
                       year=result.sources["boundaries"]["year"], outlines=outlines, code=code,
                       title=f"Kaart {regions.MUNICIPALITIES[code]} – Mentaal Gezond Groningen",
                       partial=areas["partial_data"] if "partial_data" in areas else None,
                       partial_note=labels.PARTIAL_RULE.format(share=fmt.percent(
                           result.parameters.get("max_missing_share", MAX_MISSING_SHARE))))


def interactive(areas: gpd.GeoDataFrame, layers, *, tooltip: dict[str, tuple], legend_title: str = "",
                sites=None, year: int | str = "", title: str = "Mentaal Gezond Groningen",
                outlines: gpd.GeoDataFrame | None = None, code: str | None = None, partial: pd.Series | None = None,
                partial_note: str = "te veel behoeftecijfers ontbreken"):
    """An interactive map with switchable layers, Dutch tooltips, clustered initiatives and map context.

    Parameters
    ----------
    areas
        Areas in EPSG:28992 with ``name`` and the tooltip columns.
    layers
        :class:`Layer` values (the first is shown; the layer control switches, the legend follows), or a
        column name: that column in quantile classes titled ``legend_title``.
    tooltip
        ``{column: (Dutch label, decimals, unit)}``: decimals is a number,
        "percent" (a 0-1 share) or None (text); values go through
        :mod:`mgg_geo.present.fmt` and are HTML-escaped.
    sites
        Initiatives (EPSG:28992); area-wide offers have no location and are left out.
    outlines, code
        Municipality outlines; the other municipalities are drawn in grey, ``code``'s outline in black.
    partial, partial_note
        True for areas flagged "onvolledige gegevens": a thick dotted black edge, named in every legend with
        ``partial_note`` (why an area is flagged).
    """
    folium, Sites, Scale, Assets, LegendSwitch = _classes()
    if isinstance(layers, str):
        layers = [Layer(legend_title or layers, maps.quantile_classes(areas[layers], title=legend_title))]
    shown = maps.display_geometry(areas).to_crs(settings.CRS_WEB)
    props = pd.DataFrame(index=shown.index)
    props["naam"] = shown["name"].astype("string").fillna("").map(html.escape)
    fields, aliases = ["naam"], ["Gebied"]
    for col, (label, decimals, unit) in tooltip.items():
        key = f"t_{len(fields)}"
        props[key] = [html.escape(_text(v, decimals, unit)) for v in shown[col]]
        fields.append(key)
        aliases.append(html.escape(label))
    geometry = shown.geometry.set_precision(10 ** -DECIMALS)
    minx, miny, maxx, maxy = shown.total_bounds
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=10, prefer_canvas=False,
                      tiles=None, control_scale=False)
    fmap.options.update(maxZoom=18, minZoom=7)  # the cluster layer needs a zoom range without tiles
    fmap.default_js, fmap.default_css = [], []  # no CDN: Leaflet is inlined below
    Assets().add_to(fmap)
    fmap.get_root().title = title
    folium.TileLayer("OpenStreetMap", name="Achtergrondkaart (OpenStreetMap, vereist internet)",
                     attr="© OpenStreetMap", show=False, overlay=True).add_to(fmap)
    context = None
    if outlines is not None and len(outlines):
        context = maps.display_geometry(outlines, 100.0).to_crs(settings.CRS_WEB)
        context = gpd.GeoDataFrame(geometry=context.geometry.set_precision(10 ** -DECIMALS), crs=settings.CRS_WEB,
                                   index=context.index)
        folium.GeoJson(context[context.index != code].to_json(), name="Buurgemeenten", control=False,
                       interactive=False, style_function=lambda f: {"fillColor": maps.NEIGHBOUR_COLOUR,
                                                                    "fillOpacity": 1.0, "color": "#bdbdbd",
                                                                    "weight": 1}).add_to(fmap)
    flagged = (partial.reindex(shown.index).fillna(False).astype(bool) if partial is not None
               else pd.Series(False, index=shown.index))
    for i, layer in enumerate(layers):
        colours = layer.classes.colours.reindex(shown.index)
        frame = gpd.GeoDataFrame(props.assign(kleur=colours.fillna("#ffffff"), leeg=colours.isna(),
                                              onvolledig=flagged),
                                 geometry=geometry, crs=settings.CRS_WEB)
        folium.GeoJson(
            frame.to_json(), name=layer.name, overlay=False, show=i == 0,
            style_function=lambda f: {"fillColor": f["properties"]["kleur"],
                                      "color": PARTIAL_EDGE if f["properties"]["onvolledig"] else "#8a8a8a"
                                      if f["properties"]["leeg"] else "#ffffff",
                                      "dashArray": "2 4" if f["properties"]["onvolledig"] else "3"
                                      if f["properties"]["leeg"] else None,
                                      "weight": 2.5 if f["properties"]["onvolledig"] else 0.8,
                                      "fillOpacity": 0.3 if f["properties"]["leeg"] else 0.85},
            tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
        ).add_to(fmap)
    if context is not None and code in context.index:  # the municipality's outline above its areas
        folium.GeoJson(context.loc[[code]].to_json(), name="Gemeentegrens", control=False, interactive=False,
                       style_function=lambda f: {"fill": False, "color": maps.OUTLINE_COLOUR, "weight": 2}
                       ).add_to(fmap)
    if sites is not None and len(sites):
        rows, programmes, site_colours, placements = _site_rows(sites)
        if rows:
            Sites(rows, programmes, site_colours, placements, [labels.PLACEMENTS[p] for p in ("town", "area")],
                  name="Preventie-initiatieven (locaties)").add_to(fmap)
    legends = "".join(_legend(layer, i == 0, partial=partial_note if flagged.any() else "")
                      for i, layer in enumerate(layers))
    fmap.get_root().header.add_child(folium.Element(
        "<style>.leaflet-container{background:#ffffff}</style>"))  # neighbours in grey stand out from white
    fmap.get_root().html.add_child(folium.Element(
        '<div class="mgg-legenda" style="position:fixed;bottom:20px;left:20px;z-index:1000;background:white;'
        'padding:6px;font:12px sans-serif;border:1px solid #999;max-width:280px">'
        f'{legends}<div style="margin-top:4px">Open rondje: plek bij benadering; een getal telt de locaties op '
        f'dezelfde plek.</div><div style="margin-top:4px;color:#555">{html.escape(_attribution(year))}</div></div>'))
    Scale().add_to(fmap)
    LegendSwitch().add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def _legend(layer: Layer, visible: bool, *, partial: str = "") -> str:
    """The legend of one layer (shown while that layer is on; the names are ours, the labels escaped), with the
    "onvolledige gegevens" edge and its rule ``partial`` when given."""
    swatch = '<span style="background:{};display:inline-block;width:12px;height:12px;margin-right:4px;{}"></span>'
    rows = "".join(f"<div>{swatch.format(colour, '')}{html.escape(text)}</div>"
                   for colour, text in layer.classes.legend)
    rows += (f"<div>{swatch.format('#ffffff', 'border:1px dashed #8a8a8a')}{html.escape(layer.classes.no_data)}"
             "</div>")
    if partial:
        rows += (f"<div>{swatch.format('#ffffff', f'border:2px dotted {PARTIAL_EDGE}')}"
                 f"{html.escape(labels.PARTIAL)} ({html.escape(partial)})</div>")
    return (f'<div data-laag="{html.escape(layer.name)}"{"" if visible else " hidden"}>'
            f"<b>{html.escape(layer.classes.title)}</b>{rows}</div>")


def _attribution(year) -> str:
    return maps.ATTRIBUTION.format(year=year) + " Achtergrond (optioneel): © OpenStreetMap-bijdragers."


def render(fmap) -> str:
    """The standalone page of a folium map; refuses a page that would load anything from the internet."""
    page = fmap.get_root().render()
    remote = re.findall(r"<(?:script|link)[^>]+(?:src|href)=[\"']?(https?:[^\"' >]+)", page)
    if remote:
        raise DataError(f"The interactive map would load {remote[0]} from the internet; every asset must be inline.")
    return page


def save_map(fmap, path: str | Path) -> Path:
    """Save a map as one standalone, offline HTML file, atomically."""
    path = Path(path)
    page = render(fmap)
    with atomic_file(path, suffix=".html") as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path


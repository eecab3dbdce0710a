"""The interactive map pages (folium/Leaflet): offline, escaped for their context, compact.

Offline
    Leaflet 1.9.4 and Leaflet.markercluster 1.5.3 come from the npm packages
    pinned in ``assets/package.json`` (``make`` installs them into
    ``settings.MAP_ASSETS``) and are inlined into every page: a page opens
    without any network. Background tiles (OpenStreetMap) are an optional
    layer, off by default; without them the map shows the CBS outlines only.
Escaping
    User text (initiative names, area names, tooltip values) reaches the page
    only as data: one JSON block (:func:`safe_json`, inert in a ``<script>``)
    read by the page's own script, which puts every text on the page through
    ``textContent``. No user text passes through a template: branca renders
    the output of every folium macro a second time as a Jinja template, so the
    macros here carry only element names, and the data and legends are
    :class:`Raw` blocks that are never parsed (a name such as ``{{7*7}}``
    stays literally that). No user text is ever placed inside a JavaScript
    template literal or handler, so ``${...}``, backticks, quotes and
    ``</script>`` are inert.
Reading
    Each page has a heading with a link back to its report, the names of the
    areas (shown where an area is wide enough on screen for its name), and a
    legend that folds away; the map opens framed so that no area lies under
    the legend, the layer switch or the heading. A click on a cluster zooms in
    no further than :data:`CLUSTER_ZOOM` (a few streets); sites on one point
    spread out instead. Approximate sites are open, dashed circles; areas
    without a class (e.g. "niet gerangschikt") are hatched, never a pale
    colour that could pass for a class.
Compact
    Initiatives are one clustered layer whose data is a JSON array of rows
    (``[lat, lon, name, programme, placement]``), so a 20,000-row register
    stays well under 2 MB; sites at the same point (approximate placements)
    cluster into one symbol with a count.
Schools
    The candidate schools of a school-based programme (STORM) are a layer of
    their own (``[lat, lon, name, address, placement, kind, step]`` rows):
    square symbols, open for a candidate, filled with its step number for a
    proposed school, green for a school that runs the programme already.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from mgg_geo import rules, settings
from mgg_geo.analysis import chain
from mgg_geo.analysis.coverage import is_area_wide
from mgg_geo.data import kinds, regions
from mgg_geo.data.cache import atomic_file
from mgg_geo.errors import DataError
from mgg_geo.present import fmt, labels, mapclasses
from mgg_geo.present.sections import places_of
from mgg_geo.supply import initiatives
from mgg_geo.supply.initiatives import APPROXIMATE

#: The inlined assets, relative to ``settings.MAP_ASSETS`` (``node_modules``).
SCRIPTS = ("leaflet/dist/leaflet.js", "leaflet.markercluster/dist/leaflet.markercluster.js")
STYLES = ("leaflet/dist/leaflet.css", "leaflet.markercluster/dist/MarkerCluster.css",
          "leaflet.markercluster/dist/MarkerCluster.Default.css")
#: Coordinates in the page are rounded to this many decimals (about 1 m).
DECIMALS = 5
#: The edge of areas flagged "onvolledige gegevens" (thick and dotted, over every layer's colours).
PARTIAL_EDGE = "#111111"
#: The deepest zoom a click on a cluster goes to (Leaflet zoom 15: about 1:17,000, a scale bar of 300 m); the
#: map itself goes to 17.
CLUSTER_ZOOM = 15
MAX_ZOOM = 17
#: The clustered marker layers, by the page's function that builds each: how close (pixels) markers cluster.
CLUSTER_RADII = {"sites": 25, "schools": 20, "proposals": 1}
#: The hatching of areas without a class (an SVG pattern the page defines once), and its legend swatch.
HATCH_ID = "mgg-arcering"
HATCH_SVG = (f'<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs><pattern id="{HATCH_ID}" '
             'patternUnits="userSpaceOnUse" width="7" height="7" patternTransform="rotate(45)">'
             '<rect width="7" height="7" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="7" stroke="#7a7a7a" '
             'stroke-width="2.2"/></pattern></defs></svg>')
HATCH_SWATCH = "background:repeating-linear-gradient(45deg,#7a7a7a 0 1.5px,#ffffff 1.5px 5px);border:1px solid #7a7a7a"
#: The page's own styles: heading, legend, area names (the colours and sizes are ours, never user text).
PAGE_STYLE = (
    ".leaflet-container{background:#ffffff}"
    ".mgg-kop{position:fixed;top:10px;left:56px;z-index:1000;background:#ffffff;border:1px solid #999;"
    "border-radius:4px;padding:6px 10px;font:13px/1.35 system-ui,sans-serif;max-width:calc(100vw - 520px);"
    "min-width:220px}"
    ".mgg-kop h1{font-size:16px;margin:0 0 2px}.mgg-kop a{color:#0b5394}"
    ".mgg-legenda{background:#ffffff;padding:6px 8px;font:12px/1.35 system-ui,sans-serif;border:1px solid #999;"
    "border-radius:4px;max-width:300px;max-height:calc(100vh - 260px);overflow:auto}"
    ".mgg-legenda>summary{cursor:pointer;font-weight:600}"
    ".mgg-teken{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;box-sizing:border-box}"
    ".leaflet-tooltip.mgg-naam{background:transparent;border:0;box-shadow:none;padding:0;color:#111111;"
    "font:600 11px system-ui,sans-serif;text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff,0 0 4px #fff}"
    ".leaflet-tooltip.mgg-naam:before{display:none}"
    # a bubble of several sites in a neutral colour (the default green reads as STORM, the programme's colour)
    ".marker-cluster-small,.marker-cluster-medium,.marker-cluster-large{background-color:rgba(150,150,150,.45)}"
    ".marker-cluster-small div,.marker-cluster-medium div,.marker-cluster-large div{background-color:"
    "rgba(90,90,90,.8);color:#ffffff}"
    # an area's tooltip wraps its long lines (Leaflet's tooltips never wrap: "deels geschat: ..." ran off the screen)
    ".leaflet-tooltip.mgg-tip{white-space:normal;width:max-content;max-width:min(360px,calc(100vw - 40px))}"
    ".mgg-tip th{vertical-align:top}"
    # a phone: the layer switch is a button that opens its list (open, it covered the title and the zoom buttons)
    "@media (max-width:700px){.mgg-kop{max-width:calc(100vw - 140px);min-width:0}"
    ".leaflet-control-layers-expanded:not(:hover):not(:focus-within) .leaflet-control-layers-list{display:none}"
    ".leaflet-control-layers-expanded:not(:hover):not(:focus-within){padding:0}"
    ".leaflet-control-layers-expanded .leaflet-control-layers-toggle{display:block}}")


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


def safe_json(value) -> str:
    """``value`` as JSON that is inert inside an inline ``<script>`` and inside any template pass.

    ``<``, ``>``, ``&`` and the JavaScript line separators are written as ``\\uXXXX`` escapes (no
    ``</script>`` can end the block), and so is every ``{`` that would open a Jinja tag (``{{``, ``{%``,
    ``{#``): such a pair can only occur inside a JSON string, where the escape means the same character.

    >>> safe_json(["Proef {{7*7}}", "</script>"])
    '["Proef \\\\u007b{7*7}}", "\\\\u003c/script\\\\u003e"]'
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return re.sub(r"\{(?=[{%#])", r"\\u007b", text)


#: The page's own JavaScript (no data in it): areas, context shapes and initiatives from ``mgg.*`` data set
#: by a data block; every user text reaches the page through ``textContent`` only.
SCRIPT = """
var mgg = {
  areas: function (colours) {
    return L.geoJson(mgg.data, {
      style: function (f) {
        var c = colours[f.properties.i], partial = mgg.partial[f.properties.i];
        return {className: c ? "mgg-gebied" : "mgg-gebied mgg-zonder-klasse", fillColor: c || mgg.hatch,
                color: partial ? mgg.partialEdge : (c ? "#ffffff" : "#6f6f6f"), dashArray: partial ? "2 4" : null,
                weight: partial ? 2.5 : (c ? 0.8 : 1), fillOpacity: c ? 0.85 : 1};
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(mgg.tooltip(f.properties.v), {sticky: true, className: "mgg-tip"});
      }
    });
  },
  tooltip: function (values) {
    var table = document.createElement("table");
    mgg.fields.forEach(function (label, k) {
      if (values[k] === "") return;  // a row that holds nothing for this area (Plaatsen of a named wijk)
      var row = table.insertRow(), head = document.createElement("th"), cell = row.insertCell(-1);
      head.textContent = label;
      head.style.textAlign = "left";
      head.style.paddingRight = "6px";
      row.insertBefore(head, cell);
      cell.textContent = values[k];
    });
    return table;
  },
  context: function (own) {
    return L.geoJson(mgg.outlines, {
      interactive: false,
      filter: function (f) { return f.properties.own === own; },
      style: function () {
        return own ? {fill: false, color: mgg.outline, weight: 2}
                   : {fillColor: mgg.neighbour, fillOpacity: 1.0, color: "#bdbdbd", weight: 1};
      }
    });
  },
  names: function (map) {
    // every area's name at its label point, shown where the area is wide enough on screen for it and the name
    // overlaps no name of a wider area
    var group = L.layerGroup();
    mgg.data.features.forEach(function (f, k) {
      var text = document.createElement("span");
      text.textContent = f.properties.v[0];
      var tip = L.tooltip({permanent: true, direction: "center", className: "mgg-naam", interactive: false,
                           opacity: 1}).setLatLng(mgg.labels[k]).setContent(text);
      tip.mggBounds = L.geoJson(f).getBounds();
      tip.mggWidth = 6.5 * f.properties.v[0].length + 6;
      group.addLayer(tip);
    });
    group.mggShow = function () {
      var tips = [], shown = [];
      group.eachLayer(function (tip) {
        var element = tip.getElement(), b = tip.mggBounds;
        if (!element) { return; }
        var a = map.latLngToContainerPoint(b.getSouthWest()), z = map.latLngToContainerPoint(b.getNorthEast());
        tips.push([Math.abs(z.x - a.x), tip, element]);
      });
      tips.sort(function (p, q) { return q[0] - p[0]; });
      tips.forEach(function (t) {
        t[2].style.display = "";
        var box = t[2].getBoundingClientRect(), free = t[0] >= t[1].mggWidth && shown.every(function (o) {
          return box.right < o.left || box.left > o.right || box.bottom < o.top || box.top > o.bottom;
        });
        t[2].style.display = free ? "" : "none";
        if (free) { shown.push(box); }
      });
    };
    map.on("zoomend", group.mggShow);
    group.on("add", function () { setTimeout(group.mggShow, 0); });
    return group;
  },
  legend: function (map) {
    // the legend under the layer switch, folded away on small screens; the map is framed again when it folds
    var box = document.querySelector(".mgg-legenda"), control = L.control({position: "topright"});
    control.onAdd = function () {
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    control.addTo(map);
    if (window.innerWidth < 700) { box.open = false; }
    box.addEventListener("toggle", function () { mgg.fit(map); });
    return control;
  },
  fit: function (map) {
    // frame the areas in what the heading, the layer switch and the legend leave free
    var right = document.querySelector(".leaflet-top.leaflet-right"), head = document.querySelector(".mgg-kop");
    var width = right ? right.getBoundingClientRect().width + 20 : 20;
    var top = head ? head.getBoundingClientRect().bottom + 10 : 20;
    var size = map.getSize();
    if (size.x - width < 240) { width = 20; }
    if (size.y - top < 200) { top = 20; }
    map.fitBounds(mgg.bounds, {paddingTopLeft: [20, top], paddingBottomRight: [width, 30]});
  },
  clusters: function (group) {
    // a click on a cluster zooms in at most to mgg.clusterZoom; sites on one point (or at that zoom) spread out
    group.on("clusterclick", function (e) {
      var map = group._map, bounds = e.layer.getBounds();
      var one = bounds.getNorthEast().distanceTo(bounds.getSouthWest()) < 1;
      if (one || map.getZoom() >= mgg.clusterZoom) { e.layer.spiderfy(); return; }
      map.fitBounds(bounds.pad(0.3), {maxZoom: mgg.clusterZoom});
    });
    return group;
  },
  describe: function (marker, title, lines) {
    // the marker's popup (the title in bold, then a line per text) and its tooltip (the title), as text only
    var box = document.createElement("div"), head = document.createElement("strong");
    head.textContent = title;
    box.appendChild(head);
    lines.forEach(function (text) {
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(text));
    });
    marker.bindPopup(box);
    var tip = document.createElement("span");
    tip.textContent = title;
    return marker.bindTooltip(tip);
  },
  sites: function (group) {
    var s = mgg.initiatives;
    mgg.clusters(group);
    s.rows.forEach(function (r) {
      var rough = s.approximate.indexOf(r[4]) >= 0;  // an approximate place: an open, dashed circle
      var marker = L.circleMarker([r[0], r[1]], {radius: 7, color: rough ? s.colours[r[3]] : "#000000",
          weight: rough ? 2.5 : 1, dashArray: rough ? "3 2" : null, fillColor: rough ? "#ffffff" : s.colours[r[3]],
          fillOpacity: rough ? 1 : 0.95, className: rough ? "mgg-locatie mgg-bij-benadering" : "mgg-locatie"});
      group.addLayer(mgg.describe(marker, r[2], [s.programmes[r[3]], "plek: " + s.placements[r[4]]]));
    });
    return group;
  },
  proposals: function (group) {
    // the proposal's new sites: a numbered red disc per step, as the stars of the static map
    mgg.clusters(group);
    mgg.proposalData.rows.forEach(function (r) {
      var symbol = document.createElement("div");
      symbol.className = "mgg-voorstel";
      symbol.textContent = String(r[2]);
      var marker = L.marker([r[0], r[1]], {icon: L.divIcon({html: symbol, className: "", iconSize: [20, 20]}),
                                           zIndexOffset: 1000});
      group.addLayer(mgg.describe(marker, r[3], r.slice(4)));
    });
    return group;
  },
  schoolIcon: function (kind, text) {
    var symbol = document.createElement("div");
    symbol.className = "mgg-school mgg-school-" + kind;
    symbol.textContent = text;
    return L.divIcon({html: symbol, className: "", iconSize: [18, 18]});
  },
  schools: function (group) {
    var s = mgg.schoolData;
    mgg.clusters(group);
    // schools on one point: one square with the step of a proposed school among them, or else the number of
    // schools there; green only when every one of them runs the programme, green-edged when some do
    group.options.iconCreateFunction = function (cluster) {
      var children = cluster.getAllChildMarkers(), step = 0, running = 0;
      children.forEach(function (m) {
        if (m.options.mggKind === 1 && (!step || m.options.mggStep < step)) { step = m.options.mggStep; }
        if (m.options.mggKind === 2) { running += 1; }
      });
      var kind = step ? 1 : (running === children.length ? 2 : (running ? 3 : 0));
      return mgg.schoolIcon(kind, step ? String(step) : "\u00d7" + children.length);
    };
    s.rows.forEach(function (r) {
      var marker = L.marker([r[0], r[1]], {icon: mgg.schoolIcon(r[5], r[6] ? String(r[6]) : ""),
                                            mggKind: r[5], mggStep: r[6]});
      group.addLayer(mgg.describe(marker, r[2], [r[3], s.kinds[r[5]] + (r[6] ? " (stap " + r[6] + ")" : ""),
                                                 "plek: " + s.placements[r[4]]]));
    });
    return group;
  }
};
"""
#: The school symbols (a class per kind of :data:`SCHOOL_KINDS`); the colours are ours, never user text.
SCHOOL_STYLE = (".mgg-school{min-width:14px;height:14px;padding:0 1px;border:2px solid #08519c;background:#ffffff;"
                "color:#08519c;font:bold 10px/14px sans-serif;text-align:center;box-sizing:content-box;"
                "white-space:nowrap}.mgg-school-1{background:#08519c;color:#ffffff}"
                ".mgg-school-2{background:#1b9e77;border-color:#1b9e77;color:#ffffff}"
                ".mgg-school-3{border-color:#1b9e77;color:#1b9e77}"
                f".mgg-voorstel{{width:16px;height:16px;border-radius:50%;border:2px solid #000000;"
                f"background:{mapclasses.PROPOSAL_COLOUR};color:#ffffff;font:bold 11px/16px sans-serif;"
                "text-align:center}")
#: What a school on the map is: a candidate, a proposed school (with its step), or one that runs the programme.
SCHOOL_KINDS = ("kandidaat-school", "voorgestelde school", "heeft {programme} al")
#: A square of several schools of which some, not all, run the programme (class ``mgg-school-3``).
SCHOOLS_SOME_RUNNING = "scholen dicht bij elkaar, waarvan een deel {programme} al heeft"


@functools.cache
def _classes():
    """The folium element classes (imported lazily: folium is only needed for interactive maps; defined once).

    branca renders the output of every macro a second time as a Jinja template, so no data ever passes
    through a macro: data and HTML go into :class:`Raw` blocks (rendered once, never as a template), and the
    macros below hold only our own code and element names.
    """
    import folium
    from branca.element import Element, MacroElement
    from folium.map import Layer
    from folium.template import Template
    from folium.utilities import remove_empty

    class Raw(Element):
        """Markup placed on the page as it is: never parsed as a template (escape user text before)."""

        _template = Template("{{ this.text }}")

        def __init__(self, text: str):
            super().__init__()
            self.text = text

    class Areas(Layer):
        """One switchable layer of the areas, coloured by ``mgg.data`` property ``i``; tooltips as text."""

        _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = mgg.areas(mgg.colours[{{ this.number }}]);
        {% endmacro %}
        """)

        def __init__(self, name: str, number: int, *, show: bool):
            super().__init__(name=name, overlay=False, control=True, show=show)
            self.number = int(number)

    class Context(Layer):
        """The neighbouring municipalities in grey, or (``own``) the municipality's outline on top."""

        _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = mgg.context({{ "true" if this.own else "false" }});
        {% endmacro %}
        """)

        def __init__(self, own: bool):
            super().__init__(name="Gemeentegrens" if own else "Buurgemeenten", overlay=True, control=False)
            self.own = bool(own)

    class Markers(Layer):
        """A clustered layer of markers (Leaflet.markercluster, inlined with the page) that the page's own script
        builds from its data: ``mgg.sites`` (the initiatives of ``mgg.initiatives``) or ``mgg.schools``
        (``mgg.schoolData``); popups and tooltips built with textContent. ``builder`` is one of those two names
        (:data:`CLUSTER_RADII`), never user text. (Not ``folium.plugins.MarkerCluster``: importing
        ``folium.plugins`` compiles the templates of every plugin, 0.2 s in each kernel, for a class whose
        template and assets this one replaces anyway.)"""

        _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = mgg.{{ this.builder }}(L.markerClusterGroup({{ this.options|tojavascript }}));
        {% endmacro %}
        """)

        def __init__(self, builder: str, *, name):
            super().__init__(name=name, overlay=True, control=True, show=True)
            self._name = "MarkerCluster"
            self.options = remove_empty(maxClusterRadius=CLUSTER_RADII[builder], spiderfyOnMaxZoom=True,
                                        showCoverageOnHover=False,
                                        zoomToBoundsOnClick=False)  # mgg.clusters zooms, at most to CLUSTER_ZOOM
            self.builder = builder

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

    class Names(Layer):
        """The areas' names (``mgg.names``), an overlay that can be switched off."""

        _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = mgg.names({{ this._parent.get_name() }});
        {% endmacro %}
        """)

        def __init__(self):
            super().__init__(name="Namen van de gebieden", overlay=True, control=True, show=True)

    class Frame(MacroElement):
        """The legend as a control under the layer switch, and the areas framed in the free part of the map."""

        _template = Template("""
        {% macro script(this, kwargs) %}
        mgg.legend({{ this._parent.get_name() }});
        mgg.fit({{ this._parent.get_name() }});
        window.addEventListener("resize", function () { mgg.fit({{ this._parent.get_name() }}); });
        {% endmacro %}
        """)

    return folium, Raw, Areas, Context, Markers, Scale, LegendSwitch, Names, Frame


def _text(value, decimals, unit: str = "") -> str:
    """A tooltip value through the Dutch formatter: ``decimals`` is a number, "percent" (a 0-1 share) or None
    (text; an empty text stays empty, and the tooltip leaves its row out, a missing one is "–")."""
    if decimals is None:
        return "" if isinstance(value, str) and value == "" else fmt.name(value)
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
    colours = [mapclasses.UNCOUNTED_COLOUR if p in (mapclasses.UNCOUNTED, mapclasses.UNCOUNTED_DATED) else
               mapclasses.PROGRAMME_COLOURS.get(p, mapclasses.OTHER_COLOUR) for p in programmes]
    return rows, programmes, colours, [labels.PLACEMENTS[p] for p in placements]


def school_rows(schools: gpd.GeoDataFrame) -> list[list]:
    """The school layer's rows: ``[lat, lon, name, address, placement, kind, step]`` (kind: an index of
    :data:`SCHOOL_KINDS`; step 0 when the school is not proposed)."""
    if schools is None or not len(schools):
        return []
    shown = schools.to_crs(settings.CRS_WEB)
    placements = list(labels.PLACEMENTS)
    rows = []
    for g, (_, r) in zip(shown.geometry, shown.iterrows(), strict=True):
        step = r.get("step")
        proposed = step is not None and step == step
        kind = 2 if bool(r.get("runs")) else 1 if proposed else 0
        rows.append([round(g.y, DECIMALS), round(g.x, DECIMALS), f"{r['name']} ({r['school_code']})",
                     str(r["address"]), placements.index(r["placement"]) if r["placement"] in placements else 0,
                     kind, int(step) if proposed else 0])
    return rows


@dataclass(frozen=True)
class Layer:
    """One switchable layer of an interactive map: a name (Dutch, shown in the layer control) and its classes."""

    name: str
    classes: mapclasses.Classes
    note: str = ""  # a line under the legend's classes (text; escaped)


def tooltip_rows(reach_m: float | None = None) -> dict[str, tuple]:
    """Tooltip rows of the municipality map: column -> (Dutch label, decimals or "percent" or None for text, unit);
    the coverage row names the reach ``reach_m`` (metres, default :data:`mgg_geo.rules.REACH_M`)."""
    reach = fmt.radius(rules.REACH_M if reach_m is None else reach_m)
    return {"area_code": ("Code", None, ""),  # CBS's code: names such as "Wijk 01" recur, the report's tables have it
            "places_shown": ("Plaatsen", None, ""),  # where a wijk named only by its number lies ('' elsewhere)
            "need_index": ("Behoefte-index", 2, ""), "reach": (f"Dekking (binnen {reach})", "percent", ""),
            "nearest_km": ("Afstand tot locatie", 1, "km"), "gap_label": ("Klasse", None, ""),
            "data_label": ("Gegevens", None, ""),
            "low_income_share": ("Laag inkomen", 1, "%"), "lonely": ("Eenzaam (18+)", 1, "%")}


def data_labels(areas: pd.DataFrame, total: int, estimated: frozenset | set = frozenset()) -> list[str]:
    """Per area: "volledig", or "onvolledige gegevens: 5 van 11 behoeftecijfers ontbreken" when flagged, or
    "onvoldoende gegevens" without a need index; with "; deels geschat: …" (:data:`mgg_geo.present.labels.ESTIMATED`)
    for the areas of ``estimated`` (codes)."""
    out = []
    for code, r in areas.iterrows():
        missing = total - int(r.get("indicators_present", total))
        if pd.isna(r.get("need_index")):
            text = "onvoldoende gegevens (geen behoefte-index)"
        elif bool(r.get("partial_data", False)):
            text = f"{labels.PARTIAL}: {missing} van {total} behoeftecijfers ontbreken"
        else:
            text = "volledig" if missing == 0 else f"{missing} van {total} behoeftecijfers ontbreken"
        out.append(f"{text}; {labels.ESTIMATED}: {labels.ESTIMATED_RULE} (zie Datakwaliteit in het rapport)"
                   if code in estimated else text)
    return out


def municipality_map(result, code: str, bins: list[float], report_href: str | None = None):
    """The interactive map of one municipality: need, coverage, distance and class as layers; offline.

    Parameters
    ----------
    result
        The :class:`mgg_geo.analysis.Analysis`.
    code
        The municipality (GM code).
    bins
        The need classes' bounds (:func:`mgg_geo.analysis.chain.need_breaks`).
    report_href
        The link back to the municipality's report, relative to the map page (none in a notebook).
    """
    areas = result.areas[result.areas["gemeente_code"] == code]
    from mgg_geo.data import catalogue

    total = len(catalogue.target_group(result.parameters["target_group"]).need_indicators)
    areas = areas.assign(area_code=areas.index, gap_label=labels.gap_labels(areas),
                         places_shown=[places_of(result, c) for c in areas.index],
                         data_label=data_labels(areas, total, set(chain.estimated_areas(result, code))))
    # every site the distances can rest on (the farthest area's distance, 5 km at least) and, apart, the places
    # left out for want of an age range (the reviews found the distances resting on sites the map did not show)
    farthest = pd.to_numeric(areas["nearest_km"], errors="coerce").replace(np.inf, np.nan).max()
    around = max(max(rules.RADII_M), 1000 * farthest if farthest == farthest else 0)
    uncounted = result.excluded_near(code, around).assign(programme=mapclasses.UNCOUNTED, area_wide=False)
    register = result.register.initiatives
    dated = register[(register.get("status", pd.Series("", index=register.index)) == "gedateerd")
                     & ~is_area_wide(register)]
    dated = result.near(dated, code, around).assign(programme=mapclasses.UNCOUNTED_DATED)
    sites = pd.concat([result.sites_near(code, around), *(f for f in (uncounted, dated) if len(f))])
    classes = mapclasses.need_class_note(result.map_breaks, code)  # the text's classes, not the map's colours
    layers = [Layer("Behoefte-index", mapclasses.need_classes(areas["need_index"], bins,
                                                              scope=result.map_breaks.get("scope", "provincie")),
                    note=classes),
              Layer("Dekking", mapclasses.coverage_classes(areas["reach"], result.parameters.get("reach_m"))),
              Layer("Afstand tot locatie", mapclasses.distance_classes(areas["nearest_km"])),
              Layer("Behoefte tegen dekking",
                    mapclasses.bivariate_classes(areas["need_class"], areas["coverage_class"]), note=classes)]
    outlines = result.municipalities if len(result.municipalities) else None
    schools = result.schools[result.schools["gemeente_code"] == code] if len(result.schools) else None
    programme = str(result.school_whatif.at[code, "programme"]) if code in result.school_whatif.index else "STORM"
    rows = {k: v for k, v in tooltip_rows(result.parameters.get("reach_m")).items() if k in areas}
    return interactive(areas, layers, tooltip=rows, sites=sites,
                       schools=schools, programme=programme,
                       year=kinds.BOUNDARIES.of(result.sources), outlines=outlines, code=code,
                       title=f"Kaart {regions.MUNICIPALITIES[code]} – Mentaal Gezond Groningen",
                       heading=f"Kaart van {regions.MUNICIPALITIES[code]}: behoefte en dekking per "
                               f"{'wijk' if result.parameters.get('level', 'wijk') == 'wijk' else 'buurt'}",
                       report_href=report_href,
                       partial=areas["partial_data"] if "partial_data" in areas else None,
                       partial_note=labels.PARTIAL_RULE.format(share=fmt.percent(
                           result.parameters.get("max_missing_share", rules.MAX_MISSING_SHARE))),
                       sources=figures_sources(result), proposals=proposal_rows(result, code))


def _area_with_places(result, area) -> str:
    """An area's name, with its places when it is named only by its number ("Wijk 00 (Oude Pekela)")."""
    if area not in result.areas.index:
        return fmt.MISSING
    where = places_of(result, area)
    return fmt.name(result.areas.at[area, "name"]) + (f" ({where})" if where else "")


def proposal_rows(result, code: str) -> list[list]:
    """The proposal's new sites of municipality ``code`` for the interactive map: ``[lat, lon, step, title, area,
    gain]`` ("Voorstel, stap 1: Beukemabuurt", "in Hoogezand-Noord", "7.968 jongeren erbij binnen <bereik>")."""
    steps = result.whatif_sites[result.whatif_sites["gemeente_code"] == code] if len(result.whatif_sites) else []
    if not len(steps):
        return []
    from mgg_geo.data import catalogue

    group = catalogue.target_group(result.parameters["target_group"]).key
    reach = fmt.radius(result.parameters.get("reach_m", rules.REACH_M))
    shown = steps.to_crs(settings.CRS_WEB)
    return [[round(g.y, DECIMALS), round(g.x, DECIMALS), int(r["step"]),
             f"Voorstel, stap {fmt.number(r['step'])}: {fmt.name(r['name'])}",
             f"in {_area_with_places(result, r['area'])}",
             f"{fmt.number(r['new_population'])} {group} erbij binnen {reach}"]
            for g, (_, r) in zip(shown.geometry, shown.iterrows(), strict=True)]


def figures_sources(result) -> str:
    """The map page's line on where its figures come from: each table of figures by title, year and id (as the
    report's sources), the register and DUO's schools; the rest is in the report."""
    tables = [f"{kind.title} {m.get('year', '')} (tabel {kind.cite(m)})"
              for kind, m in kinds.present(result.sources) if kind.role == "figures"]
    register = Path(result.register.path)
    who = ("het initiatievenregister van Mentaal Gezond Groningen" if initiatives.is_project_register(register)
           else f"het register {register.name}")
    return (f"Cijfers: {'; '.join(tables)}" + ("" if not tables else "; ") + f"locaties: {who}"
            + ("; scholen: DUO" if len(result.schools) else "") + ". Bronnen en methode staan in het rapport.")


def interactive(areas: gpd.GeoDataFrame, layers, *, tooltip: dict[str, tuple], legend_title: str = "",
                sites=None, schools=None, programme: str = "STORM", year: int | str | dict = "",
                title: str = "Mentaal Gezond Groningen", heading: str = "", report_href: str | None = None,
                outlines: gpd.GeoDataFrame | None = None, code: str | None = None, partial: pd.Series | None = None,
                partial_note: str = "te veel behoeftecijfers ontbreken", sources: str = "",
                proposals: list[list] | None = None):
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
    schools, programme
        The schools of :attr:`mgg_geo.analysis.Analysis.schools` (EPSG:28992): a layer of their own, with
        candidates for ``programme``, proposed schools (their step) and schools that run it.
    outlines, code
        Municipality outlines; the other municipalities are drawn in grey, ``code``'s outline in black.
    partial, partial_note
        True for areas flagged "onvolledige gegevens": a thick dotted black edge, named in every legend with
        ``partial_note`` (why an area is flagged).
    title, heading, report_href
        The page's ``<title>``, the heading on the map (default: the title) and the link back to the report
        (relative; none without it).
    sources
        Where the figures come from, under the map's attribution (text; escaped).
    proposals
        The proposed new sites, ``[lat, lon, step, title, line, ...]`` (:func:`proposal_rows`): a layer of
        numbered discs with a popup (text only).
    """
    folium, Raw, Areas, Context, Markers, Scale, LegendSwitch, Names, Frame = _classes()
    if isinstance(layers, str):
        layers = [Layer(legend_title or layers, mapclasses.quantile_classes(areas[layers], title=legend_title))]
    shown = mapclasses.display_geometry(areas).to_crs(settings.CRS_WEB)
    labels_ = ["Gebied"] + [label for label, _, _ in tooltip.values()]
    values = [[_text(name, None)] + [_text(row[col], decimals, unit)
                                     for col, (_, decimals, unit) in tooltip.items()]
              for name, (_, row) in zip(shown["name"], shown.iterrows(), strict=True)]
    features = gpd.GeoDataFrame({"i": range(len(shown))},  # by position: the areas' own index is their codes
                                geometry=shown.geometry.set_precision(10 ** -DECIMALS).to_numpy(), crs=settings.CRS_WEB)
    collection = json.loads(features.to_json())
    for feature, row in zip(collection["features"], values, strict=True):
        feature["properties"]["v"] = row
    points = shown.geometry.representative_point()
    data = {"data": collection, "fields": labels_, "neighbour": mapclasses.NEIGHBOUR_COLOUR,
            "outline": mapclasses.OUTLINE_COLOUR, "partialEdge": PARTIAL_EDGE, "hatch": f"url(#{HATCH_ID})",
            "labels": [[round(pt.y, DECIMALS), round(pt.x, DECIMALS)] for pt in points],
            "clusterZoom": CLUSTER_ZOOM,
            "colours": [[None if c is None or c != c else c for c in layer.classes.colours.reindex(shown.index)]
                        for layer in layers]}
    minx, miny, maxx, maxy = shown.total_bounds
    data["bounds"] = [[miny, minx], [maxy, maxx]]
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=10, prefer_canvas=False,
                      tiles=None, control_scale=False)
    fmap.options.update(maxZoom=MAX_ZOOM, minZoom=7)  # the cluster layer needs a zoom range without tiles
    fmap.default_js, fmap.default_css = [], []  # no CDN: Leaflet is inlined below
    root = fmap.get_root()
    root.title = title
    root.header.add_child(Raw(_assets() + "<script>" + SCRIPT + "</script>"
                              "<style>" + PAGE_STYLE + SCHOOL_STYLE + "</style>"))
    folium.TileLayer("OpenStreetMap", name="Achtergrondkaart (OpenStreetMap, vereist internet)",
                     attr="© OpenStreetMap", show=False, overlay=True).add_to(fmap)
    has_context = outlines is not None and len(outlines)
    if has_context:
        context = mapclasses.display_geometry(outlines, 100.0).to_crs(settings.CRS_WEB)
        context = gpd.GeoDataFrame({"own": context.index == code},  # by position, as the areas above
                                   geometry=context.geometry.set_precision(10 ** -DECIMALS).to_numpy(),
                                   crs=settings.CRS_WEB)
        data["outlines"] = json.loads(context.to_json())
        Context(own=False).add_to(fmap)
    flagged = (partial.reindex(shown.index).fillna(False).astype(bool) if partial is not None
               else pd.Series(False, index=shown.index))
    data["partial"] = [bool(v) for v in flagged]
    for i, layer in enumerate(layers):
        Areas(layer.name, i, show=i == 0).add_to(fmap)
    if has_context and code in outlines.index:  # the municipality's outline above its areas
        Context(own=True).add_to(fmap)
    Names().add_to(fmap)
    if sites is not None and len(sites):
        rows, programmes, site_colours, placements = _site_rows(sites)
        if rows:
            data["initiatives"] = {"rows": rows, "programmes": programmes, "colours": site_colours,
                                   "placements": placements,
                                   "approximate": [list(labels.PLACEMENTS).index(p) for p in APPROXIMATE]}
            Markers("sites", name="Preventie-initiatieven (locaties)").add_to(fmap)
    proposal_legend = ""
    if proposals:
        data["proposalData"] = {"rows": proposals}
        Markers("proposals", name="Voorstel: nieuwe locaties (stap)").add_to(fmap)
        proposal_legend = ('<div style="margin-top:4px"><span class="mgg-voorstel" style="display:inline-block;'
                           'vertical-align:middle;margin-right:4px">1</span>voorgestelde nieuwe locatie (cijfer: de '
                           'stap in &quot;Voorstel&quot;)</div>')
    school_legend = ""
    rows = school_rows(schools)
    if rows:
        kinds = [k.format(programme=programme) for k in SCHOOL_KINDS]
        data["schoolData"] = {"rows": rows, "kinds": kinds, "placements": [labels.PLACEMENTS[p] for p in
                                                                         labels.PLACEMENTS]}
        Markers("schools", name=f"Scholen: kandidaat voor {programme} (DUO)").add_to(fmap)
        symbol = '<span class="mgg-school{}" style="display:inline-block;vertical-align:middle;margin-right:4px">' \
                 '</span>'
        school_legend = ('<div style="margin-top:4px">'
                         + "".join(f"<div>{symbol.format(f' mgg-school-{i}' if i else '')}{html.escape(k)}</div>"
                                   for i, k in enumerate(kinds) if any(r[5] == i for r in rows))
                         + (f"<div>{symbol.format(' mgg-school-3')}"
                            f"{html.escape(SCHOOLS_SOME_RUNNING.format(programme=programme))}</div>"
                            if any(r[5] == 2 for r in rows) and any(r[5] != 2 for r in rows) else "")
                         + "<div>cijfer: de stap in &quot;Welke school als volgende?&quot;; ×3: drie scholen dicht "
                           "bij elkaar (klik om ze te zien)</div></div>")
    legends = "".join(_legend(layer, i == 0, partial=partial_note if flagged.any() else "")
                      for i, layer in enumerate(layers))
    back = (f'<a class="mgg-terug" href="{html.escape(report_href, quote=True)}">← Terug naar het rapport</a>'
            if report_href else "")
    sites_legend = ""
    if "initiatives" in data:
        colour, rows = data["initiatives"]["colours"][0], data["initiatives"]["rows"]
        pink = {i for i, name in enumerate(data["initiatives"]["programmes"])
                if name in (mapclasses.UNCOUNTED, mapclasses.UNCOUNTED_DATED)}  # explained on their own line
        # only the symbols the map draws for the counted places (an attack: a pink exact place explained a filled
        # circle that no counted place had)
        rough = {r[4] in data["initiatives"]["approximate"] for r in rows if r[3] not in pink}
        sites_legend = (
            '<div style="margin-top:4px">'
            + ('<div><span class="mgg-teken" style="border-radius:50%;'
               f'background:{colour};border:1px solid #000"></span>rondje: locatie op een exacte plek of adres '
               '(kleur: programma)</div>' if False in rough else "")
            + ('<div><span class="mgg-teken" style="border-radius:50%;background:#fff;'
               f'border:2px dashed {colour}"></span>open rondje: plek bij benadering'
               + ("" if False in rough else " (kleur: programma)") + '</div>' if True in rough else "")
            + "".join(f'<div><span class="mgg-teken" style="border-radius:50%;background:{mapclasses.UNCOUNTED_COLOUR};'
                      f'border:1px solid #000"></span>roze: {html.escape(label)} (niet in de dekking en de afstand; '
                      "open rondje: plek bij benadering)</div>"
                      for label in (mapclasses.UNCOUNTED, mapclasses.UNCOUNTED_DATED)
                      if label in data["initiatives"]["programmes"])
            + "<div>getal in een cirkel: zoveel locaties dicht bij elkaar; klik om ze te zien</div></div>")
    root.html.add_child(Raw(
        "<script>" + "".join(f"mgg.{k} = {safe_json(v)};" for k, v in data.items()) + "</script>" + HATCH_SVG
        + f'<div class="mgg-kop"><h1>{html.escape(heading or title)}</h1>{back}</div>'
        '<details class="mgg-legenda" open><summary>Legenda</summary>'
        f'{legends}{sites_legend}{proposal_legend}{school_legend}<div style="margin-top:4px;color:#555">'
        f'{html.escape(mapclasses.attribution(year, background=True))}'
        + (f"<br>{html.escape(sources)}" if sources else "") + "</div></details>"))
    Scale().add_to(fmap)
    LegendSwitch().add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    Frame().add_to(fmap)  # after the layer switch: the legend goes under it, then the areas are framed
    return fmap


def _legend(layer: Layer, visible: bool, *, partial: str = "") -> str:
    """The legend of one layer (shown while that layer is on; the names are ours, the labels escaped), with the
    "onvolledige gegevens" edge and its rule ``partial`` when given."""
    swatch = '<span style="background:{};display:inline-block;width:12px;height:12px;margin-right:4px;{}"></span>'
    rows = "".join(f"<div>{swatch.format(colour, '')}{html.escape(text)}</div>"
                   for colour, text in layer.classes.legend)
    rows += f"<div>{swatch.format('#ffffff', HATCH_SWATCH)}{html.escape(layer.classes.no_data)}</div>"
    if partial:
        rows += (f"<div>{swatch.format('#ffffff', f'border:2px dotted {PARTIAL_EDGE}')}"
                 f"{html.escape(labels.PARTIAL)} ({html.escape(partial)})</div>")
    if layer.note:
        rows += f'<div style="margin-top:3px">{html.escape(layer.note)}</div>'
    return (f'<div data-laag="{html.escape(layer.name)}"{"" if visible else " hidden"}>'
            f"<b>{html.escape(layer.classes.title)}</b>{rows}</div>")


def render(fmap) -> str:
    """The standalone page of a folium map; refuses a page that would load anything from the internet."""
    page = _stable_names(fmap.get_root().render())
    remote = re.findall(r"<(?:script|link)[^>]+(?:src|href)=[\"']?(https?:[^\"' >]+)", page)
    if remote:
        raise DataError(f"The interactive map would load {remote[0]} from the internet; every asset must be inline.")
    return page


def _stable_names(page: str) -> str:
    """The page with folium's random element names (``map_<32 hex digits>``) numbered in order of appearance,
    so that the same map always gives the same page."""
    numbers: dict[str, str] = {}
    return re.sub(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])",
                  lambda m: numbers.setdefault(m.group(0), str(len(numbers) + 1)), page)


def save_map(fmap, path: str | Path) -> Path:
    """Save a map as one standalone, offline HTML file, atomically."""
    path = Path(path)
    page = render(fmap)
    with atomic_file(path, suffix=".html") as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path


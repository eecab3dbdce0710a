"""mgg_geo: where should the next mental-health prevention effort in Groningen go?

A small library cut by domain concept:

==========================  ========================================================
:mod:`mgg_geo.settings`   every setting (paths, service URLs, timeouts), env-overridable
:mod:`mgg_geo.regions`    the 10 municipalities, CBS codes
:mod:`mgg_geo.catalogue`  the declarative indicator catalogue
:mod:`mgg_geo.cbs`        live CBS/RIVM tables via cbsodata
:mod:`mgg_geo.pdok`       live PDOK boundaries
:mod:`mgg_geo.cache`      the download cache (atomic, with manifests)
:mod:`mgg_geo.sources`    cache-first access to every source table
:mod:`mgg_geo.imports`    the offline route (manual downloads into the cache)
:mod:`mgg_geo.areas`      the area frame: boundaries + figures + data quality
:mod:`mgg_geo.initiatives` the initiative register: loading, validation, placement
:mod:`mgg_geo.need`       need index and its Monte Carlo rank intervals
:mod:`mgg_geo.coverage`   nearest distance, counts within 1/3/5 km, E2SFCA
:mod:`mgg_geo.gap`        need x coverage classes, priority, what-if
:mod:`mgg_geo.analysis`   the whole chain, memoised; export to GPKG/CSV/XLSX
:mod:`mgg_geo.maps`       static (matplotlib) and interactive (folium) maps
:mod:`mgg_geo.reports`    Dutch report content, key-figure sidecars, index page
:mod:`mgg_geo.batch`      the papermill batch of all reports
:mod:`mgg_geo.cli`        the mgg-geo command line
==========================  ========================================================
"""

__version__ = "0.1.0"

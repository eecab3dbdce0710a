"""mgg_geo: where should the next mental-health prevention effort in Groningen go?

A small library cut by domain concept:

========================  ==========================================================
:mod:`mgg_geo.settings`   every setting (paths, service URLs, timeouts), env-overridable
:mod:`mgg_geo.regions`    the 10 municipalities, CBS codes
:mod:`mgg_geo.catalogue`  the declarative indicator catalogue
:mod:`mgg_geo.cbs`        live CBS/RIVM tables via cbsodata
:mod:`mgg_geo.pdok`       live PDOK boundaries
:mod:`mgg_geo.cache`      the download cache (atomic, with manifests)
:mod:`mgg_geo.sources`    cache-first access to every source table
:mod:`mgg_geo.imports`    the offline route (manual downloads into the cache)
:mod:`mgg_geo.areas`      the area frame: boundaries + figures + data quality
========================  ==========================================================
"""

__version__ = "0.1.0"

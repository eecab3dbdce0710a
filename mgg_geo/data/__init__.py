"""Data layer: where the figures come from.

CBS Kerncijfers wijken en buurten and RIVM Gezondheid per wijk en buurt (live
through :mod:`~mgg_geo.data.cbs`, or imported by :mod:`~mgg_geo.data.imports`),
CBS/PDOK boundaries (:mod:`~mgg_geo.data.pdok`), all cached by
:mod:`~mgg_geo.data.cache` and read cache-first by :mod:`~mgg_geo.data.sources`.
:mod:`~mgg_geo.data.catalogue` names every table, column and indicator once;
:mod:`~mgg_geo.data.regions` the municipalities and their mergers;
:mod:`~mgg_geo.data.vintages` moves figures between indelingen; and
:mod:`~mgg_geo.data.areas` builds the area frame (EPSG:28992) that the
analysis starts from, with its data-quality record.
"""

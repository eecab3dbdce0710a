"""Presentation layer: how the analysis is shown, in Dutch. It formats; it computes no figure.

:mod:`~mgg_geo.present.fmt` (numbers, percentages, km, dates) and
:mod:`~mgg_geo.present.labels` (words) are the one Dutch formatter and
vocabulary; :mod:`~mgg_geo.present.mapclasses` holds the classes, palettes
and legends of every map, :mod:`~mgg_geo.present.maps` draws the static ones
(matplotlib) and :mod:`~mgg_geo.present.webmap` the offline interactive
pages; :mod:`~mgg_geo.present.sections` words every report section and
:mod:`~mgg_geo.present.reports` puts them together, all rendered by
:mod:`~mgg_geo.present.pages` from the templates in ``templates/`` with the
one stylesheet ``templates/report.css``; :mod:`~mgg_geo.present.folder`
names the report files and writes the index page (no plotting library, so
the batch process loads none);
:mod:`~mgg_geo.present.export` writes the GeoPackage, CSV and XLSX exports.
"""

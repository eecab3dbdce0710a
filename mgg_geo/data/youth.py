"""The young-adult monitor: RIVM/GGD'en/CBS Gezondheidsmonitor Jongvolwassenen (table 50140NED).

Figures of 16 to 25 year olds per gemeente, for the GGD region (``level``
``ggd``) and the Netherlands (``land``); there are none per wijk or buurt, so
they are shown beside the areas and never converted between indelingen. The
table is read from the cache only: ``mgg-geo import youth FILE`` imports the
StatLine CSV export (``mgg-geo import shared`` imports the example file); it
is never downloaded. Its figures are declared in
:data:`mgg_geo.data.catalogue.YOUNG_ADULT_FIGURES` and the kind in
:data:`mgg_geo.data.kinds.YOUTH`: this module is the pattern for adding a
source (README, "Architecture").
"""

from __future__ import annotations

from pathlib import Path

from mgg_geo.data import cache, imports, kinds, sources


def young_adults() -> sources.Dataset | None:
    """The young-adult monitor from the cache, or None when it has not been imported.

    Returns
    -------
    Dataset or None
        One row per region (``level`` ``gemeente``, ``ggd`` or ``land``), percentages of the 16-25 year olds.
    """
    entry = cache.find(kinds.YOUTH.cache_kind, table_id=kinds.YOUTH.table_id)  # the newest import
    return None if entry is None else sources.Dataset(entry.load(), entry.manifest)


def import_file(path: str | Path, *, year: int | None = None) -> list[cache.Entry]:
    """Import the StatLine CSV export of the young-adult monitor (table 50140NED).

    Parameters
    ----------
    path
        The CSV file.
    year
        Survey year when the file does not say.
    """
    return imports.import_health(path, year=year, table_id=kinds.YOUTH.table_id)

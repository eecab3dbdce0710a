"""mgg_geo: where should the next mental-health prevention effort in Groningen go?

The library is layered; data flows one way, from top to bottom of this table,
and a layer imports only from the layers above it (``errors`` and
``settings`` serve them all):

=====================  ==================================================================
:mod:`mgg_geo.data`     sources: CBS/RIVM tables, PDOK boundaries, the download cache,
                        the offline imports, indelingen and crosswalks, the area frame
:mod:`mgg_geo.supply`   the initiative register: loading, validation, placement
:mod:`mgg_geo.analysis` need, coverage, gap, what-if, trends; the chain and its memo
:mod:`mgg_geo.present`  Dutch words and numbers, maps, reports, exports
:mod:`mgg_geo.batch`    the papermill batch of all reports
:mod:`mgg_geo.cli`      the ``mgg-geo`` command line
=====================  ==================================================================

The modules a notebook uses are importable from here, one name each::

    from mgg_geo import analysis, reports, maps, webmap
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: Public modules by short name (``from mgg_geo import reports``), loaded on first use.
PUBLIC_MODULES = {
    "settings": "mgg_geo.settings",
    "errors": "mgg_geo.errors",
    "regions": "mgg_geo.data.regions",
    "catalogue": "mgg_geo.data.catalogue",
    "kinds": "mgg_geo.data.kinds",
    "sources": "mgg_geo.data.sources",
    "areas": "mgg_geo.data.areas",
    "vintages": "mgg_geo.data.vintages",
    "initiatives": "mgg_geo.supply.initiatives",
    "analysis": "mgg_geo.analysis",
    "need": "mgg_geo.analysis.need",
    "coverage": "mgg_geo.analysis.coverage",
    "gap": "mgg_geo.analysis.gap",
    "whatif": "mgg_geo.analysis.whatif",
    "fmt": "mgg_geo.present.fmt",
    "labels": "mgg_geo.present.labels",
    "mapclasses": "mgg_geo.present.mapclasses",
    "maps": "mgg_geo.present.maps",
    "webmap": "mgg_geo.present.webmap",
    "reports": "mgg_geo.present.reports",
    "export": "mgg_geo.present.export",
}
__all__ = ["__version__", *PUBLIC_MODULES]


def __getattr__(name: str):
    """Load a public module on first use (so ``import mgg_geo`` stays light)."""
    if name in PUBLIC_MODULES:
        module = importlib.import_module(PUBLIC_MODULES[name])
        globals()[name] = module
        return module
    raise AttributeError(f"module 'mgg_geo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(PUBLIC_MODULES))

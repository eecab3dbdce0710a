"""Analysis layer: need, coverage, gap and what-if per area, computed from the data and supply layers.

==================================  ===============================================================
:mod:`~mgg_geo.analysis.parameters`  :class:`ReportParameters`, the one typed set of run choices
:mod:`~mgg_geo.analysis.need`        need index and its Monte Carlo rank intervals
:mod:`~mgg_geo.analysis.coverage`    reach (share of the target group within reach), distances, E2SFCA
:mod:`~mgg_geo.analysis.gap`         need x coverage classes and the priority list
:mod:`~mgg_geo.analysis.whatif`      where new sites would help most
:mod:`~mgg_geo.analysis.trends`      change between the latest two vintages
:mod:`~mgg_geo.analysis.chain`       the whole chain, :class:`Analysis` and its key figures
:mod:`~mgg_geo.analysis.memo`        the chain memoised on disk (offline by inputs and code, online by run)
==================================  ===============================================================

The names most callers need are importable from here: ``analysis.run``,
``analysis.run_cached``, ``analysis.from_notebook``, ``analysis.new_run``, ``analysis.release_run``,
``analysis.Analysis``, ``analysis.need_variant`` (the reports' need index again, or an explicit departure from it).
"""

from __future__ import annotations

import importlib

#: The names importable from here, by the module that defines them; loaded on first use, so that a module that needs
#: only the parameters (the command line's options, say) does not load the whole chain with it.
NAMES = {"Analysis": "chain", "key_figures": "chain", "need_variant": "chain", "run": "chain",
         "from_notebook": "memo", "run_cached": "memo", "new_run": "memo", "release_run": "memo",
         "ReportParameters": "parameters"}
__all__ = sorted(NAMES)


def __getattr__(name: str):
    """Load the module of a public name on first use (``analysis.run`` loads the chain)."""
    if name in NAMES:
        value = getattr(importlib.import_module(f"mgg_geo.analysis.{NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mgg_geo.analysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(NAMES))

"""Analysis layer: need, coverage, gap and what-if per area, computed from the data and supply layers.

==================================  ===============================================================
:mod:`~mgg_geo.analysis.parameters`  :class:`ReportParameters`, the one typed set of run choices
:mod:`~mgg_geo.analysis.need`        need index and its Monte Carlo rank intervals
:mod:`~mgg_geo.analysis.coverage`    reach (share of the target group within reach), distances, E2SFCA
:mod:`~mgg_geo.analysis.gap`         need x coverage classes and the priority list
:mod:`~mgg_geo.analysis.whatif`      where new sites would help most
:mod:`~mgg_geo.analysis.trends`      change between the latest two vintages
:mod:`~mgg_geo.analysis.chain`       the whole chain, :class:`Analysis` and its key figures
:mod:`~mgg_geo.analysis.memo`        the chain memoised on disk, keyed by inputs and code version
==================================  ===============================================================

The names most callers need are importable from here: ``analysis.run``,
``analysis.run_cached``, ``analysis.from_notebook``, ``analysis.Analysis``,
``analysis.need_variant`` (the reports' need index again, or an explicit departure from it).
"""

from mgg_geo.analysis.chain import Analysis, key_figures, need_variant, run
from mgg_geo.analysis.memo import from_notebook, run_cached
from mgg_geo.analysis.parameters import ReportParameters

__all__ = ["Analysis", "ReportParameters", "from_notebook", "key_figures", "need_variant", "run", "run_cached"]

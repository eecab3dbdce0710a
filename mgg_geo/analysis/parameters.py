"""The parameters of an analysis or report, defined once, validated once.

:class:`ReportParameters` is the one list of choices a user can make. The
command line, the report batch, the notebooks (their papermill parameters
are derived from it) and :func:`mgg_geo.analysis.run` all take it. Every bad
value raises one :class:`~mgg_geo.errors.ParameterError` whose message names
the parameter (as the command line spells it) and the allowed values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from mgg_geo import rules
from mgg_geo.analysis.need import METHODS, check_weights
from mgg_geo.checks import (
    check_choice,
    check_date,
    check_file,
    check_float,
    check_int,
    check_year,
    option,
)
from mgg_geo.data import catalogue, regions
from mgg_geo.errors import ParameterError, RegionError
from mgg_geo.supply.initiatives import UNCERTAIN_STATUSES, status_of

#: Levels an analysis runs at (gemeente is a boundary level, not an analysis level).
LEVELS = regions.ANALYSIS_LEVELS
#: Where need and map classes are cut: over the province or within each municipality.
CLASS_BREAKS = ("provincie", "gemeente")


def check_share(name: str, value) -> float:
    """``value`` as a share between 0 and 1 (e.g. 0.25 for a quarter)."""
    number = check_float(name, value)
    if number > 1:
        raise ParameterError(f"{option(name)}: {value!r} is not allowed; give a share between 0 and 1 "
                             "(e.g. 0.25 for a quarter).")
    return number


def check_statuses(name: str, value) -> str:
    """Register statuses to count besides ``actief``, as one comma-separated text in a fixed order:
    "gedateerd,gepland" (from text or a list; ``alle`` is every one of them; empty: none).

    English names are accepted (``dated``, ``planned``, ``closed``).
    """
    if value is None:
        return ""
    items = [value] if isinstance(value, str) else list(value)
    words = [w.strip() for item in items for w in str(item).split(",") if w.strip()]
    if any(w.lower() in ("alle", "all") for w in words):
        return ",".join(UNCERTAIN_STATUSES)
    chosen = set()
    for word in words:
        try:
            status = status_of(word)
        except ValueError:
            status = None
        if status not in UNCERTAIN_STATUSES:
            raise ParameterError(f"{option(name)}: {word!r} is not a status that can be counted; choose from "
                                 f"{', '.join(UNCERTAIN_STATUSES)} (comma-separated) or 'alle'.")
        chosen.add(status)
    return ",".join(s for s in UNCERTAIN_STATUSES if s in chosen)


def counted_statuses(parameters: Mapping) -> tuple[str, ...]:
    """The register statuses that count in a run: ``actief`` and those of its ``include_status`` (from the
    parameters an analysis keeps, :attr:`mgg_geo.analysis.Analysis.parameters`)."""
    return ("actief", *(s for s in str(parameters.get("include_status") or "").split(",") if s))


def check_municipalities(name: str, values) -> tuple[str, ...]:
    """GM codes for names or codes; "all" (or nothing at all) is the province; an empty value is refused."""
    if values is None:
        return tuple(regions.MUNICIPALITIES)
    items = [values] if isinstance(values, str) else list(values)
    if any(str(v).strip() == "" for v in items):
        raise ParameterError(f"{option(name)}: an empty value is not a municipality; give a name or GM code, "
                             "or 'all'.")
    try:
        return tuple(regions.resolve_municipalities(items))
    except RegionError as exc:
        raise ParameterError(f"{option(name)}: {exc}") from None


@dataclass(frozen=True)
class ReportParameters:
    """Every choice of an analysis or a report, validated on construction.

    Attributes
    ----------
    level
        Area level: ``wijk`` or ``buurt``.
    municipalities
        The analysis region as GM codes (default: the province).
    kwb_year, health_year, boundary_year
        Vintages (None: the defaults: newest KWB with income, the newest health
        survey, the KWB year's boundaries).
    register_path
        Initiative register (None: ``settings.REGISTER_PATH``).
    weights
        Domain weights (empty: equal), always a mapping.
    method
        Standardisation: ``zscore`` or ``rank``.
    draws, seed
        Monte Carlo draws for the rank intervals (0: none) and their seed.
    k
        New sites per municipality in the what-if (at least 1).
    reference_date
        Initiatives ended before it do not count (None: today).
    target_group
        A key of :data:`mgg_geo.data.catalogue.TARGET_GROUPS`.
    include_unknown_ages
        Count initiatives without an age range for the target group.
    include_status
        Register statuses counted for coverage besides ``actief``:
        comma-separated, of ``gedateerd``, ``gepland``, ``gesloten`` (default
        none: places whose existence today is uncertain are listed but not
        counted; see :mod:`mgg_geo.supply.initiatives`).
    min_population
        Areas with fewer residents are not ranked (persons, at least 0).
    max_missing_share
        An area with more than this share (0-1) of its need indicators missing
        is flagged "onvolledige gegevens" wherever it is shown (default a
        quarter, :data:`mgg_geo.rules.MAX_MISSING_SHARE`).
    class_breaks
        Where need classes and map classes are cut: ``provincie`` (default:
        the same colour means the same in every report) or ``gemeente``
        (within each municipality; the reports say so).
    offline
        Use the cache only: no download, no geocoding, no network at all.
    geocode
        Ask PDOK Locatieserver for addresses (never when ``offline``).
    """

    level: str = "wijk"
    municipalities: tuple[str, ...] = field(default_factory=lambda: tuple(regions.MUNICIPALITIES))
    kwb_year: int | None = None
    health_year: int | None = None
    boundary_year: int | None = None
    register_path: Path | None = None
    weights: Mapping[str, float] = field(default_factory=dict)
    method: str = "zscore"
    draws: int = rules.DRAWS
    seed: int = rules.SEED
    k: int = rules.NEW_SITES
    reference_date: dt.date | None = None
    target_group: str = catalogue.DEFAULT_TARGET_GROUP
    include_unknown_ages: bool = False
    include_status: str = ""
    min_population: float = rules.MIN_POPULATION
    max_missing_share: float = rules.MAX_MISSING_SHARE
    class_breaks: str = "provincie"
    offline: bool = False
    geocode: bool = True

    def __post_init__(self):
        checked = {
            "level": check_choice("level", self.level, LEVELS),
            "municipalities": check_municipalities("gemeente", self.municipalities),
            "kwb_year": check_year("kwb_year", self.kwb_year, catalogue.KWB_TABLES),
            "health_year": check_year("health_year", self.health_year, catalogue.health_periods("gemeente")),
            "boundary_year": check_year("boundary_year", self.boundary_year),
            "register_path": check_file("register", self.register_path),
            "weights": check_weights("weights", self.weights),
            "method": check_choice("method", self.method, METHODS),
            "draws": check_int("draws", self.draws, minimum=0, maximum=rules.MAX_DRAWS),
            "seed": check_int("seed", self.seed, minimum=0),
            "k": check_int("k", self.k, minimum=1, maximum=50),
            "reference_date": check_date("reference_date", self.reference_date),
            "target_group": check_choice("target_group", self.target_group, tuple(catalogue.TARGET_GROUPS)),
            "include_unknown_ages": bool(self.include_unknown_ages),
            "include_status": check_statuses("include_status", self.include_status),
            "min_population": check_float("min_population", self.min_population),
            "max_missing_share": check_share("max_missing_share", self.max_missing_share),
            "class_breaks": check_choice("class_breaks", self.class_breaks, CLASS_BREAKS),
            "offline": bool(self.offline),
            "geocode": bool(self.geocode) and not bool(self.offline),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @property
    def statuses(self) -> tuple[str, ...]:
        """:attr:`include_status` as a tuple of statuses."""
        return tuple(s for s in self.include_status.split(",") if s)

    # ------------------------------------------------------------------ notebooks

    #: Notebook-only parameters and their defaults (not part of the analysis).
    NOTEBOOK_ONLY = {"gemeente_code": "GM0014", "interactive": True, "output_dir": ""}

    @classmethod
    def notebook_defaults(cls) -> dict:
        """The literals of a report notebook's ``parameters`` cell (papermill), derived from the defaults."""
        return cls().to_notebook()

    def to_notebook(self) -> dict:
        """These parameters as papermill literals (None: 0 or ""; weights stay a mapping)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "municipalities":
                continue
            if f.name == "weights":
                value = dict(value)
            elif isinstance(value, (Path, dt.date)):
                value = str(value)
            elif value is None:
                value = 0 if f.type.startswith("int") else ""
            out[f.name] = value
        return out

    @classmethod
    def from_namespace(cls, namespace: Mapping, **overrides) -> ReportParameters:
        """Build from a notebook's variables (its ``parameters`` cell): exactly the fields of this class.

        0 and "" mean the default, as in the parameters cell.
        """
        names = {f.name for f in fields(cls)} - {"municipalities"}
        values = {k: namespace[k] for k in names if k in namespace}
        values = {k: v for k, v in values.items() if not (v == "" or (v == 0 and k.endswith("_year")))}
        return cls(**{**values, **overrides})

    @classmethod
    def resolve(cls, params: ReportParameters | None = None, **changes) -> ReportParameters:
        """``params`` (None: all defaults) with ``changes`` applied, validated again."""
        params = params or cls()
        return params.replace(**changes) if changes else params

    def replace(self, **changes) -> ReportParameters:
        """A copy with ``changes``, validated again."""
        return dataclasses.replace(self, **changes)

    def analysis_key(self) -> dict:
        """The values that decide an analysis' outcome (for the memo key)."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}

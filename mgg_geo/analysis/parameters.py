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
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from mgg_geo.data import catalogue, regions
from mgg_geo.errors import ParameterError, RegionError

LEVELS = ("wijk", "buurt")
METHODS = ("zscore", "rank")
DEFAULT_SEED = 20231105


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int within bounds, else a :class:`ParameterError` naming ``name``."""
    try:
        number = int(value)
        if isinstance(value, float) and not value.is_integer() or isinstance(value, bool):
            raise ValueError
    except (TypeError, ValueError):
        raise ParameterError(f"{_option(name)}: {value!r} is not a whole number.") from None
    if minimum is not None and number < minimum or maximum is not None and number > maximum:
        bounds = f"of at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ParameterError(f"{_option(name)}: {number} is not allowed; give a whole number {bounds}.")
    return number


def check_float(name: str, value, *, minimum: float = 0.0) -> float:
    """``value`` as a finite float of at least ``minimum``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{_option(name)}: {value!r} is not a number.") from None
    if not math.isfinite(number) or number < minimum:
        raise ParameterError(f"{_option(name)}: {value!r} is not allowed; give a number of at least {minimum:g}.")
    return number


def check_choice(name: str, value, choices) -> str:
    """``value`` when it is one of ``choices``."""
    text = str(value).strip().lower()
    if text not in choices:
        raise ParameterError(f"{_option(name)}: {value!r} is not allowed; choose one of {', '.join(choices)}.")
    return text


def check_date(name: str, value) -> dt.date | None:
    """A ``YYYY-MM-DD`` date (None or empty: None)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ParameterError(f"{_option(name)}: {value!r} is not a date; write it as YYYY-MM-DD, "
                             "e.g. 2026-01-01.") from None


def check_year(name: str, value, known=None) -> int | None:
    """A year (None, 0 or empty: None); with ``known``, one of those."""
    if value is None or value == "" or value == 0:
        return None
    year = check_int(name, value, minimum=2000, maximum=2100)
    if known is not None and year not in known:
        raise ParameterError(f"{_option(name)}: {year} is not available; choose one of "
                             f"{', '.join(map(str, sorted(known)))}.")
    return year


def check_file(name: str, value) -> Path | None:
    """An existing file (None or empty: None)."""
    if value is None or str(value).strip() == "":
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise ParameterError(f"{_option(name)}: {path} is not a file.")
    return path


def check_municipalities(name: str, values) -> tuple[str, ...]:
    """GM codes for names or codes; "all" (or nothing at all) is the province; an empty value is refused."""
    if values is None:
        return tuple(regions.MUNICIPALITIES)
    items = [values] if isinstance(values, str) else list(values)
    if any(str(v).strip() == "" for v in items):
        raise ParameterError(f"{_option(name)}: an empty value is not a municipality; give a name or GM code, "
                             "or 'all'.")
    try:
        return tuple(regions.resolve_municipalities(items))
    except RegionError as exc:
        raise ParameterError(f"{_option(name)}: {exc}") from None


def check_weights(name: str, value) -> dict[str, float]:
    """Domain weights as a mapping (from a mapping or ``"armoede=2,wonen=1"``); empty: equal weights."""
    if value is None or value == "" or value == {}:
        return {}
    if isinstance(value, str):
        parsed = {}
        for part in value.split(","):
            key, sep, number = part.partition("=")
            if not sep:
                raise ParameterError(f"{_option(name)}: {part.strip()!r} is not DOMAIN=NUMBER "
                                     f"(e.g. armoede=2,wonen=1); domains: {', '.join(catalogue.DOMAINS)}.")
            parsed[key.strip()] = check_float(name, number.strip())
        value = parsed
    if not isinstance(value, Mapping):
        raise ParameterError(f"{_option(name)}: give a mapping of domain to weight, e.g. {{'armoede': 2}}.")
    unknown = sorted(set(value) - set(catalogue.DOMAINS))
    if unknown:
        raise ParameterError(f"{_option(name)}: unknown domain(s) {', '.join(unknown)}; domains are "
                             f"{', '.join(catalogue.DOMAINS)}.")
    weights = {str(k): check_float(name, v) for k, v in value.items()}
    if sum(weights.values()) <= 0:
        raise ParameterError(f"{_option(name)}: at least one weight must be above 0.")
    return weights


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
    min_population
        Areas with fewer residents are not ranked (persons, at least 0).
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
    draws: int = 1000
    seed: int = DEFAULT_SEED
    k: int = 3
    reference_date: dt.date | None = None
    target_group: str = catalogue.DEFAULT_TARGET_GROUP
    include_unknown_ages: bool = False
    min_population: float = 100.0
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
            "draws": check_int("draws", self.draws, minimum=0),
            "seed": check_int("seed", self.seed, minimum=0),
            "k": check_int("k", self.k, minimum=1, maximum=50),
            "reference_date": check_date("reference_date", self.reference_date),
            "target_group": check_choice("target_group", self.target_group, tuple(catalogue.TARGET_GROUPS)),
            "include_unknown_ages": bool(self.include_unknown_ages),
            "min_population": check_float("min_population", self.min_population),
            "offline": bool(self.offline),
            "geocode": bool(self.geocode) and not bool(self.offline),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ notebooks

    #: Notebook-only parameters and their defaults (not part of the analysis).
    NOTEBOOK_ONLY = {"gemeente_code": "GM0014", "interactive": True, "output_dir": ""}

    @classmethod
    def notebook_defaults(cls) -> dict:
        """The literals of a report notebook's ``parameters`` cell (papermill), derived from the defaults."""
        return cls().to_notebook()

    def to_notebook(self) -> dict:
        """These parameters as papermill literals (None: 0 or "", mappings as "domain=weight" text)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "municipalities":
                continue
            if f.name == "weights":
                value = ",".join(f"{k}={v:g}" for k, v in value.items())
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

    def replace(self, **changes) -> ReportParameters:
        """A copy with ``changes``, validated again."""
        return dataclasses.replace(self, **changes)

    def analysis_key(self) -> dict:
        """The values that decide an analysis' outcome (for the memo key)."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}

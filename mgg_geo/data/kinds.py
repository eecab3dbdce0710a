"""The source registry: every kind of source table, declared once.

A :class:`SourceKind` says everything the rest of ``mgg_geo`` needs to know of
a source besides its figures (those are in :mod:`mgg_geo.data.catalogue`):

* its **role**: ``areas`` (the boundaries every figure is drawn on, the
  indeling all figures move onto), ``figures`` (figures per area, moved across
  indelingen by :mod:`mgg_geo.data.conversion`) or ``region`` (figures per
  municipality only, shown beside the areas and never converted);
* how it is **loaded** (cache first, then the live service) and **imported**
  from a downloaded file (the command ``mgg-geo import <name>`` and its
  options are generated from the declaration);
* how it **appears** in a report: its Dutch name in the sources table, the
  noun in the data-quality note, its short name in the index, its table id
  and its attribution line.

Modules outside the data layer never spell a kind's name: they look a kind up
here (``kinds.BOUNDARIES.of(result.sources)``) or iterate :data:`ALL`
(``tests/test_architecture.py`` fails otherwise).

Adding a source
---------------
Write one module in ``mgg_geo/data/`` with its load and import functions
(:mod:`mgg_geo.data.youth` is the example), declare its :class:`SourceKind`
below and add it to :data:`ALL`, add its tables and concepts to
:mod:`mgg_geo.data.catalogue`, and its tests. The CLI's import command, the
cache status, the report's sources table and attribution follow by themselves.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from mgg_geo.data import catalogue

#: The options an import may take: the ``mgg-geo import`` option (checked by the CLI's parsers) and the importer's
#: parameter it sets. ``year`` the reference year, ``table`` the CBS table id, ``indeling`` the boundary year of
#: the codes, ``level`` the area level.
IMPORT_OPTIONS = {"year": "year", "table": "table_id", "indeling": "indeling", "level": "level"}
ROLES = ("areas", "figures", "region")


@dataclass(frozen=True)
class SourceKind:
    """One kind of source table (see the module docstring).

    Attributes
    ----------
    name
        The key of the kind in every ``sources`` mapping (``Analysis.sources``) and in ``mgg-geo import <name>``.
    cache_kind
        The ``kind`` of its cache entries (the young-adult monitor is cached as an RIVM table).
    role
        ``areas``, ``figures`` or ``region``.
    title
        Dutch name in the report's sources table.
    noun
        Dutch noun phrase for sentences ("de kerncijfers").
    short
        Dutch short name in the index of reports ("KWB").
    attribution
        Dutch attribution line; ``{title}``, ``{table}`` and ``{year}`` are filled from the manifest.
    load
        ``module:function`` that returns its :class:`~mgg_geo.data.sources.Dataset` (None when it has none); a
        short module name is one of :mod:`mgg_geo.data`.
    importer
        ``module:function`` that imports a file (returns one cache entry or a list of them).
    import_help, file_help
        Help texts of ``mgg-geo import <name>`` and of its file argument.
    download
        Where an analyst without a connection gets the file for the offline route (``{year}``: the year wanted);
        empty for a kind that is only ever imported.
    options
        Which of :data:`IMPORT_OPTIONS` the import takes, mapped to their help texts.
    table_id
        The one table of this kind (None: several, see the catalogue).
    dataset_id
        Template of the table id shown when the table has no CBS id (boundaries from PDOK); ``{year}``.
    """

    name: str
    cache_kind: str
    role: str
    title: str
    noun: str
    short: str
    attribution: str
    load: str
    importer: str
    import_help: str
    file_help: str = "the downloaded file"
    download: str = ""
    options: dict[str, str] = field(default_factory=dict)
    table_id: str | None = None
    dataset_id: str | None = None

    def __post_init__(self):
        if self.role not in ROLES or set(self.options) - set(IMPORT_OPTIONS):
            raise ValueError(f"source kind {self.name}: role {self.role!r} or options {sorted(self.options)}")

    def of(self, sources: dict) -> dict | None:
        """This kind's manifest in a ``sources`` mapping (None when the run did not use it)."""
        return sources.get(self.name) or None

    def cite(self, manifest: dict) -> str:
        """The id of the table a manifest describes: the CBS table id, else :attr:`dataset_id` with its year."""
        table = manifest.get("table_id")
        if self.dataset_id and (not table or not str(table).endswith("NED")):
            return self.dataset_id.format(year=manifest.get("year", "")).strip()
        return str(table) if table else "onbekende tabel"

    def attribution_line(self, manifest: dict) -> str:
        """The attribution of this kind's table, filled from its manifest (``simplified``: who simplified an
        imported geometry, when the manifest says)."""
        by = manifest.get("simplified_by")
        return self.attribution.format(title=manifest.get("title") or self.title, table=self.cite(manifest),
                                       year=manifest.get("year"), simplified=f"door {by} en " if by else "")

    def import_command(self, file: str = "FILE", **values) -> str:
        """The import command with ``values`` of its options filled in, e.g. ``mgg-geo import kwb FILE --year 2024``."""
        return " ".join(["mgg-geo import", self.name, str(file)]
                        + [f"--{k} {values[k]}" for k in self.options if values.get(k) not in (None, "")])

    def fetch(self, *args, **kwargs):
        """Load this kind's table (cache first; see :attr:`load`)."""
        return _resolve(self.load)(*args, **kwargs)

    def import_file(self, path, **parameters) -> list:
        """Import ``path`` into the cache; returns the cache entries written.

        ``parameters`` are the importer's (:data:`IMPORT_OPTIONS` maps the command's options onto them).
        """
        stored = _resolve(self.importer)(path, **parameters)
        return list(stored) if isinstance(stored, list | tuple) else [stored]

    def holds(self, manifest: dict) -> bool:
        """Whether a cache manifest is a table of this kind."""
        if manifest.get("kind") != self.cache_kind:
            return False
        if self.table_id:
            return manifest.get("table_id") == self.table_id
        return not any(k.table_id and manifest.get("table_id") == k.table_id for k in ALL if k is not self)


def _resolve(ref: str):
    """``module:function``: a module of :mod:`mgg_geo.data` by its short name, any other by its dotted name."""
    module, function = ref.split(":")
    return getattr(importlib.import_module(module if "." in module else f"mgg_geo.data.{module}"), function)


_YEAR_TABLE = {"year": "reference year when the file does not say",
               "table": "CBS table id (e.g. 85039NED) when the file name lacks it"}


def _figures(name: str, title: str, noun: str, short: str, attribution: str, import_help: str, download: str,
             **options: str) -> SourceKind:
    """A CBS/RIVM table of figures per area: loaded by ``sources.<name>``, imported by ``imports.import_<name>``."""
    return SourceKind(name=name, cache_kind=name, role="figures", title=title, noun=noun, short=short,
                      attribution=attribution, load=f"sources:{name}", importer=f"imports:import_{name}",
                      import_help=import_help, download=download, options={**_YEAR_TABLE, **options})


KWB = _figures("kwb", "CBS Kerncijfers wijken en buurten", "de kerncijfers", "KWB",
               "Bron: CBS, {title} (tabel {table}, {year}), licentie CC BY 4.0. CBS onderschrijft dit rapport niet.",
               "CBS Kerncijfers wijken en buurten (xls/xlsx/csv)",
               "download the table from CBS StatLine or the kwb-{year} file from cbs.nl")
HEALTH = _figures("health", "RIVM/GGD'en/CBS Gezondheid per wijk en buurt", "de gezondheidscijfers", "RIVM",
                  "Gezondheidscijfers: RIVM/GGD'en/CBS, Gezondheidsmonitor Volwassenen en Ouderen {year} (tabel "
                  "{table}); modelmatige schattingen, geen metingen.",
                  "RIVM Gezondheid per wijk en buurt (StatLine CSV export)",
                  "export the table from the RIVM StatLine catalogue (dataderden.cbs.nl) as CSV",
                  indeling="boundary year of the file's codes (known for catalogue tables)")
BOUNDARIES = SourceKind(
    name="boundaries", cache_kind="boundaries", role="areas", title="CBS Wijk- en buurtkaart (gebiedsindeling)",
    noun="de grenzen", short="grenzen",
    attribution=f"Kaarten: {catalogue.BOUNDARY_HOLDER}, {{table}}; gegeneraliseerde grenzen, vereenvoudigd "
                "{simplified}voor weergave.",
    load="sources:boundaries", importer="imports:import_boundaries",
    import_help="boundaries as GeoJSON or GeoPackage", file_help="the GeoJSON or GeoPackage file",
    download="download the CBS wijk- en buurtkaart or gebiedsindelingen {year} as GeoJSON/GeoPackage",
    options={"level": "the area level (default: from the file's codes)",
             "year": "the boundary year (default: from the file name or its contents)"},
    dataset_id="PDOK gebiedsindelingen / CBS Wijk- en buurtkaart {year}")
YOUTH = SourceKind(
    name="youth", cache_kind="health", role="region", table_id="50140NED",
    title="RIVM/GGD'en/CBS Gezondheidsmonitor Jongvolwassenen (16–25 jaar, per gemeente)",
    noun="de cijfers over jongvolwassenen", short="Jongvolwassenen",
    attribution="Bron: RIVM/GGD'en/CBS, Gezondheidsmonitor Jongvolwassenen {year} (tabel {table}), jongvolwassenen "
                "van 16 tot 25 jaar, per gemeente",
    load="youth:young_adults", importer="youth:import_file",
    import_help="RIVM/GGD'en/CBS Gezondheidsmonitor Jongvolwassenen, 16-25 jaar per gemeente (StatLine CSV export "
                "of 50140NED)",
    options={"year": "survey year when the file does not say"})

#: Every source kind, in the order the reports list them.
ALL: tuple[SourceKind, ...] = (KWB, HEALTH, BOUNDARIES, YOUTH)
_BY_NAME = {k.name: k for k in ALL}


def get(name: str) -> SourceKind:
    """The kind called ``name`` (a :class:`KeyError` naming the known kinds otherwise)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown source kind {name!r}; known: {', '.join(_BY_NAME)}") from None


def names(role: str | None = None) -> tuple[str, ...]:
    """The names of the kinds (of one ``role``)."""
    return tuple(k.name for k in with_role(role))


def with_role(role: str | None = None) -> tuple[SourceKind, ...]:
    """The kinds (of one ``role``: ``areas``, ``figures`` or ``region``), in registry order."""
    return tuple(k for k in ALL if role is None or k.role == role)


def of_manifest(manifest: dict) -> SourceKind | None:
    """The kind of a cache entry's manifest (None for entries that are no source table, e.g. crosswalks)."""
    return next((k for k in ALL if k.holds(manifest)), None)


def present(sources: dict) -> Iterable[tuple[SourceKind, dict]]:
    """The kinds a run used, with their manifests, in registry order."""
    for kind in ALL:
        if kind.of(sources):
            yield kind, sources[kind.name]

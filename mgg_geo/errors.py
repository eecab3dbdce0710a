"""The one error family of mgg_geo.

Every error a user can cause or meet (bad input, an unknown municipality, a
CBS outage) is an :class:`MggError`. Its message names the file, row, column
or URL involved and says what to do; the command line prints it without a
traceback and exits with status 2.
"""

from __future__ import annotations


class MggError(Exception):
    """Base class of all mgg_geo errors."""


class RegionError(MggError, ValueError):
    """An unknown or misspelt municipality, or a malformed CBS area code."""


class ParameterError(MggError, ValueError):
    """A parameter given by the user (command line, notebook, Python call) is not allowed; the message names
    the parameter and the allowed values."""


class SourceError(MggError):
    """A CBS, RIVM or PDOK download failed and no usable cached copy exists.

    ``url`` is the request that failed and ``status`` its HTTP status (None when
    the server never answered); ``unreachable`` is True when no connection could
    be made at all (no network, unknown host), so that the cache must serve.
    """

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None,
                 unreachable: bool = False):
        super().__init__(message)
        self.url = url
        self.status = status
        self.unreachable = unreachable


class DataError(MggError, ValueError):
    """An input file or table cannot be used (wrong columns, impossible values)."""


class SettingsError(MggError, ValueError):
    """An environment variable (``MGG_*``) has a value that is not allowed; the message names the variable."""


class OutputError(MggError):
    """An output could not be written (no space left, no permission); the message names the folder."""


class CacheError(MggError):
    """The cache holds nothing for the request (and downloading was not allowed)."""


class RegisterError(DataError):
    """An initiative register failed validation; ``problems`` lists every problem."""

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class MggWarning(UserWarning):
    """Something the reader must know (e.g. a stale cached copy was used), not an error."""

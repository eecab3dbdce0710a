"""HTTP plumbing shared by the CBS and PDOK clients.

One :class:`TrackedSession` per download: retries with exponential back-off
(urllib3 ``Retry``) for HTTP 429/5xx and at most one for a failed connection or
a timed-out answer, a short connect timeout and a longer read timeout, the user
agent from :mod:`mgg_geo.settings`, and a guard that stops a
runaway ``odata.nextLink`` chain (a URL requested twice, or more than
``settings.MAX_PAGES`` pages).
"""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util import Retry

from mgg_geo import settings
from mgg_geo.errors import SourceError


class RequestLog:
    """The URLs one download has requested, in order."""

    def __init__(self, max_pages: int | None = None):
        self.urls: list[str] = []
        self.max_pages = max_pages or settings.MAX_PAGES

    @property
    def last_url(self) -> str | None:
        """The URL of the most recent request (for error messages), or None."""
        return self.urls[-1] if self.urls else None

    def before(self, url: str) -> None:
        """Record a request about to be sent."""
        if url in self.urls:
            raise SourceError(
                f"The server sent the download round in a loop: {url} was requested before "
                "(an odata.nextLink pointing back). The download was stopped; nothing was cached. "
                "Try again later or use the offline route (mgg-geo import ...).",
                url=url,
            )
        if len(self.urls) >= self.max_pages:
            raise SourceError(
                f"More than {self.max_pages} pages for one download (last: {url}); stopped. "
                "Raise MGG_MAX_PAGES if the table really is that large.",
                url=url,
            )
        self.urls.append(url)


class TrackedSession(requests.Session):
    """A ``requests.Session`` with retries, default timeout and a :class:`RequestLog`."""

    def __init__(self, log: RequestLog | None = None):
        super().__init__()
        self.log = log if log is not None else RequestLog()
        retry = Retry(
            total=settings.HTTP_RETRIES,
            connect=min(1, settings.HTTP_RETRIES),
            read=min(1, settings.HTTP_RETRIES),
            status=settings.HTTP_RETRIES,
            backoff_factor=settings.HTTP_BACKOFF,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET"}),
            raise_on_status=False,
            respect_retry_after_header=True,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self.headers["User-Agent"] = settings.USER_AGENT

    def send(self, request, **kwargs):  # noqa: D401 - requests API
        """Send with the connect/read timeouts of :mod:`mgg_geo.settings`, recording the URL."""
        self.log.before(request.url)
        if kwargs.get("timeout") is None or isinstance(kwargs["timeout"], (int, float)):
            kwargs["timeout"] = (settings.HTTP_CONNECT_TIMEOUT, settings.HTTP_TIMEOUT)
        return super().send(request, **kwargs)


def describe_failure(exc: BaseException, log: RequestLog, what: str) -> SourceError:
    """Turn a requests/JSON failure into a :class:`SourceError` that names the URL."""
    url = log.last_url
    if isinstance(exc, SourceError):
        return exc
    cause = exc.__cause__ if isinstance(exc.__cause__, requests.HTTPError) else exc
    response = getattr(cause, "response", None)
    if isinstance(exc, requests.HTTPError) or response is not None:
        status = response.status_code if response is not None else None
        return SourceError(f"{what}: the server answered HTTP {status} for {url}.", url=url, status=status)
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.Timeout) or isinstance(reason, ReadTimeoutError):
        return SourceError(f"{what}: no answer within {settings.HTTP_TIMEOUT:g} s from {url}.", url=url)
    if isinstance(exc, requests.ConnectionError):
        return SourceError(f"{what}: could not connect to {url} ({type(exc).__name__}).", url=url)
    if isinstance(exc, (ValueError, KeyError, TypeError)):
        return SourceError(
            f"{what}: the answer from {url} is not the expected JSON (truncated or malformed: {exc}).", url=url
        )
    return SourceError(f"{what}: download from {url} failed ({type(exc).__name__}: {exc}).", url=url)


def get_json(url: str, params: dict | None, log: RequestLog, what: str) -> dict:
    """GET ``url`` and return its JSON body, or raise a :class:`SourceError`."""
    with TrackedSession(log) as session:
        try:
            response = session.get(url, params=params, proxies=requests.utils.get_environ_proxies(url))
            response.raise_for_status()
            return response.json()
        except Exception as exc:  # noqa: BLE001 - every failure becomes one clear SourceError
            raise describe_failure(exc, log, what) from exc

"""HTTP plumbing shared by the CBS and PDOK clients.

One :class:`TrackedSession` per download: retries with exponential back-off
(urllib3 ``Retry``) for HTTP 429/5xx and at most one for a failed connection or
a timed-out answer, a short connect timeout and a longer read timeout, the user
agent from :mod:`mgg_geo.settings`, and a guard that stops a
runaway ``odata.nextLink`` chain (a URL requested twice, or more than
``settings.MAX_PAGES`` pages).

A host that cannot be reached at all (no network, unknown name, no answer to
the connection) is remembered for the rest of the process: later requests to
it fail at once with :attr:`SourceError.unreachable <mgg_geo.errors.SourceError>`
set, so that the callers fall back to the cache quietly (urllib3's own
"Retrying ..." log lines are not shown; the callers say once what happened).

Every request is bounded as a whole, not only per read: a :class:`Deadline`
of ``settings.HTTP_DEADLINE`` seconds covers connecting, the headers and the
complete answer (when it passes, the request's sockets are shut down, which
ends any read at once), and an answer larger than
``settings.MAX_ANSWER_BYTES`` is refused while it is read.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
from urllib3.util import Retry

from mgg_geo import settings
from mgg_geo.errors import SourceError

# urllib3 logs every retry as a warning with the whole URL; what failed is reported once, by the callers
logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)

#: Hosts that could not be reached in this process, with the reason (not asked again).
_UNREACHABLE: dict[str, str] = {}


def unreachable_hosts() -> dict[str, str]:
    """The hosts this process could not reach, with what failed, e.g. ``{"service.pdok.nl": "NameResolutionError"}``."""
    return dict(_UNREACHABLE)


def _no_connection(exc: BaseException) -> str | None:
    """The reason when ``exc`` means no connection could be made at all (not a slow or bad answer)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (NewConnectionError, ConnectTimeoutError)):
            return type(exc).__name__
        reason = getattr(exc, "reason", None)
        if isinstance(reason, (NewConnectionError, ConnectTimeoutError)):
            return type(reason).__name__
        exc = (exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None) or exc.__cause__
    return None


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


class Deadline:
    """A wall-clock limit for one request: when it passes, every socket opened under it is shut down.

    Used as a context manager around a request; connections made by this module's connection pools while it
    is active register their sockets with it (per thread).
    """

    _active = threading.local()

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._outer = getattr(Deadline._active, "current", None)
        Deadline._active.current = self
        self._until = time.monotonic() + self.seconds
        self._timer.start()
        return self

    @classmethod
    def left(cls) -> float:
        """Seconds until the active deadline of this thread passes (0 when it has; ``HTTP_DEADLINE`` without
        one)."""
        current = getattr(cls._active, "current", None)
        if current is None:
            return settings.HTTP_DEADLINE
        return max(0.0, current._until - time.monotonic())

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        Deadline._active.current = self._outer

    @classmethod
    def watch(cls, sock: socket.socket | None) -> None:
        """Put ``sock`` under the active deadline of this thread, if any."""
        current = getattr(cls._active, "current", None)
        if current is not None and sock is not None:
            with current._lock:
                current._sockets.append(sock)
                if current.expired:
                    _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked read on any thread
    except OSError:
        pass


class _Connection(HTTPConnection):
    def connect(self):
        super().connect()
        Deadline.watch(self.sock)


class _SecureConnection(HTTPSConnection):
    def connect(self):
        super().connect()
        Deadline.watch(self.sock)


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _SecurePool(HTTPSConnectionPool):
    ConnectionCls = _SecureConnection


class _Adapter(HTTPAdapter):
    """An adapter whose connections are watched by the active :class:`Deadline` (also through a proxy)."""

    _POOLS = {"http": _Pool, "https": _SecurePool}

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(self._POOLS)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(self._POOLS)
        return manager


def read_bounded(response: requests.Response, limit: int, url: str) -> bytes:
    """The whole body of a streamed ``response`` (unpacked), refused when it exceeds ``limit`` bytes."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise SourceError(f"The answer from {url} is {int(declared) / 1e6:,.0f} MB, more than the limit of "
                          f"{limit / 1e6:,.0f} MB (MGG_MAX_ANSWER_BYTES); nothing was used.", url=url)
    chunks, total = [], 0
    for chunk in response.iter_content(1 << 16):
        total += len(chunk)
        if total > limit:
            response.close()
            raise SourceError(f"The answer from {url} is larger than the limit of {limit / 1e6:,.0f} MB "
                              "(MGG_MAX_ANSWER_BYTES); the download was stopped and nothing was used.", url=url)
        chunks.append(chunk)
    return b"".join(chunks)


class _BoundedRetry(Retry):
    """urllib3's retries whose waits (the back-off, and a server's ``Retry-After``) end when the request's
    :class:`Deadline` does: a server answering 503 with ``Retry-After: 86400`` held a run for a day (attack on the
    deadline, which shuts sockets but cannot end a sleep)."""

    def get_retry_after(self, response):  # noqa: D401 - urllib3 API
        wait = super().get_retry_after(response)
        return None if wait is None else min(wait, Deadline.left())

    def get_backoff_time(self) -> float:  # noqa: D401 - urllib3 API
        return min(super().get_backoff_time(), Deadline.left())


class TrackedSession(requests.Session):
    """A ``requests.Session`` with retries, default timeout, a deadline and size limit per request, and a
    :class:`RequestLog`."""

    def __init__(self, log: RequestLog | None = None, *, deadline: float | None = None):
        super().__init__()
        self.log = log if log is not None else RequestLog()
        self.deadline = deadline  # seconds per request (None: settings.HTTP_DEADLINE)
        retry = _BoundedRetry(
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
        adapter = _Adapter(max_retries=retry)
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self.headers["User-Agent"] = settings.USER_AGENT

    def send(self, request, **kwargs):  # noqa: D401 - requests API
        """Send with the connect/read timeouts of :mod:`mgg_geo.settings`, recording the URL; the request and
        its whole answer must arrive within ``settings.HTTP_DEADLINE`` and ``settings.MAX_ANSWER_BYTES``."""
        self.log.before(request.url)
        host = urlsplit(request.url).netloc
        if host in _UNREACHABLE:
            raise SourceError(f"No connection to {host} ({_UNREACHABLE[host]}, earlier in this run); {request.url} "
                              "was not asked.", url=request.url, unreachable=True)
        if kwargs.get("timeout") is None or isinstance(kwargs["timeout"], (int, float)):
            kwargs["timeout"] = (settings.HTTP_CONNECT_TIMEOUT, settings.HTTP_TIMEOUT)
        stream = kwargs.pop("stream", False)
        started, seconds = time.monotonic(), self.deadline or settings.HTTP_DEADLINE
        with Deadline(seconds) as deadline:
            try:
                response = super().send(request, stream=True, **kwargs)
                if not stream:
                    response._content = read_bounded(response, settings.MAX_ANSWER_BYTES, request.url)
                    response._content_consumed = True
            except SourceError:
                raise
            except Exception as exc:
                reason = _no_connection(exc)
                if reason is not None:
                    _UNREACHABLE[host] = reason
                    raise SourceError(f"No connection to {host} ({reason}): {request.url} could not be asked.",
                                      url=request.url, unreachable=True) from exc
                if deadline.expired or time.monotonic() - started >= seconds:
                    raise SourceError(f"No complete answer from {request.url} within {seconds:g} s "
                                      "(MGG_HTTP_DEADLINE); the download was stopped and nothing was used.",
                                      url=request.url) from exc
                raise
        return response


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


def get_json(url: str, params: dict | None, log: RequestLog, what: str, *, deadline: float | None = None) -> dict:
    """GET ``url`` and return its JSON body, or raise a :class:`SourceError` (``deadline``: seconds for the
    whole request, default ``settings.HTTP_DEADLINE``)."""
    with TrackedSession(log, deadline=deadline) as session:
        try:
            response = session.get(url, params=params, proxies=requests.utils.get_environ_proxies(url))
            response.raise_for_status()
            return response.json()
        except Exception as exc:  # noqa: BLE001 - every failure becomes one clear SourceError
            raise describe_failure(exc, log, what) from exc

"""The proxy's HTTP calls to Kick (token and revocation POSTs), each within a total deadline.

requests' `timeout` bounds each socket operation, not the call: a server that drips a byte a
second would hold the function for minutes. A watchdog therefore shuts the call's socket down when
the deadline passes, which wakes the blocked read at once. requests and urllib3 offer no total
deadline of their own, hence this small adapter.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from core.errors import upstream_timeout, upstream_unavailable
from core.kick_answer import MAX_UPSTREAM_BODY_BYTES

USER_AGENT = "kick-oauth-proxy/1.0"
# A pooled connection idle longer than this is dropped rather than reused: after a container has
# been frozen, the peer has usually forgotten it, and a POST that dies on a stale socket cannot be
# retried safely (codes are single-use, refresh tokens rotate).
MAX_IDLE_SECONDS = 30.0


@dataclass(frozen=True)
class KickAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    latency_ms: float


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self.expired = False
        self._connections: list[HTTPConnection] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def watch(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connections.append(connection)

    def watch_socket(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)

    def __enter__(self) -> _Deadline:
        _current.deadline = self
        _watchdog.arm(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        _watchdog.disarm(self)
        _current.deadline = None
        with self._lock:
            self._connections.clear()
            self._sockets.clear()

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            live = [connection.sock for connection in self._connections if connection.sock is not None]
            for sock in [*live, *self._sockets]:
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread per container, started on the first call, that expires overdue deadlines.

    A thread per call (threading.Timer) costs more than the rest of a warm invocation. Here a call
    wakes the watchdog only when its deadline is earlier than the wake-up already planned, which in
    practice means only when the watchdog was idle; disarming never wakes it.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._armed: set[_Deadline] = set()
        self._wake_at: float | None = None
        self._thread: threading.Thread | None = None

    def arm(self, deadline: _Deadline) -> None:
        with self._condition:
            self._armed.add(deadline)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kick-deadline", daemon=True)
                self._thread.start()
            elif self._wake_at is None or deadline.at < self._wake_at:
                self._condition.notify()

    def disarm(self, deadline: _Deadline) -> None:
        with self._condition:
            self._armed.discard(deadline)

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                for deadline in [armed for armed in self._armed if armed.at <= now]:
                    self._armed.discard(deadline)
                    deadline.expire()
                self._wake_at = min((armed.at for armed in self._armed), default=None)
                self._condition.wait(None if self._wake_at is None else self._wake_at - now)


_watchdog = _Watchdog()
_current = threading.local()


def _watched(connection_class: type[HTTPConnection]) -> type[HTTPConnection]:
    class WatchedConnection(connection_class):  # type: ignore[valid-type,misc]
        def request(self, *args: Any, **kwargs: Any) -> None:
            deadline: _Deadline | None = getattr(_current, "deadline", None)
            if deadline is not None:
                deadline.watch(self)
            super().request(*args, **kwargs)

        def getresponse(self, *args: Any, **kwargs: Any) -> Any:
            # An answer that closes the connection (HTTP/1.0, "Connection: close") takes the socket
            # with it and the connection forgets it: the deadline must hold on to it itself.
            deadline: _Deadline | None = getattr(_current, "deadline", None)
            if deadline is not None and self.sock is not None:
                deadline.watch_socket(self.sock)
            return super().getresponse(*args, **kwargs)

    return WatchedConnection


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _watched(HTTPConnection)


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _watched(HTTPSConnection)  # type: ignore[assignment]


class _DeadlineAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class KickClient:
    """One keep-alive session per container; never redirects, never retries a POST."""

    def __init__(self) -> None:
        self._session = requests.Session()
        self._session.trust_env = False  # no proxies or .netrc from the environment: the form goes to Kick only
        adapter = _DeadlineAdapter(pool_connections=1, pool_maxsize=1, max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._last_used = 0.0

    def post_form(self, url: str, form: str, deadline_seconds: float) -> KickAnswer:
        """The token request: the form in the body."""
        return self._post(url, form, "application/json", deadline_seconds)

    def post_revocation(self, url: str, deadline_seconds: float) -> KickAnswer:
        """The revocation request as Kick documents it: everything in the URL's query, an empty body.

        The URL carries a token: no exception raised from here names it (see _post).
        """
        return self._post(url, None, "application/json, text/plain;q=0.9", deadline_seconds)

    def _post(self, url: str, form: str | None, accept: str, deadline_seconds: float) -> KickAnswer:
        started = time.monotonic()
        if started - self._last_used > MAX_IDLE_SECONDS:
            self._session.close()
        self._last_used = started
        with _Deadline(deadline_seconds) as deadline:
            try:
                response = self._session.post(
                    url,
                    data=form,
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Accept": accept,
                        "User-Agent": USER_AGENT,
                        "Accept-Encoding": "identity",
                    },
                    allow_redirects=False,
                    stream=True,
                    timeout=(deadline_seconds, deadline_seconds),
                )
                with response:
                    body = _read_limited(response)
            # requests' and urllib3's messages quote the URL: raised afresh, without them or their cause.
            except (requests.RequestException, OSError) as exc:
                if deadline.expired or isinstance(exc, requests.Timeout):
                    raise upstream_timeout() from None
                raise upstream_unavailable("Kick could not be reached; retry later") from None
            if deadline.expired:
                raise upstream_timeout()
        self._last_used = time.monotonic()
        return KickAnswer(
            status=response.status_code,
            headers=dict(response.headers),
            body=body,
            latency_ms=(time.monotonic() - started) * 1000,
        )


def _read_limited(response: requests.Response) -> bytes:
    body = bytearray()
    for chunk in response.iter_content(chunk_size=16 * 1024):
        body += chunk
        if len(body) > MAX_UPSTREAM_BODY_BYTES:
            raise upstream_unavailable("Kick's answer was too large; retry later")
    return bytes(body)

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

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
    def __init__(self, seconds: float, preconnecting: bool = False) -> None:
        self.at = time.monotonic() + seconds
        self.expired = False
        # A preconnect's socket is watched from its creation, so that shutting it down aborts even
        # its connect(): see _Preconnect.
        self.preconnecting = preconnecting
        self._connections: list[HTTPConnection] = []
        self._sockets: list[socket.socket] = []
        self._duplicates: list[socket.socket] = []  # ours: closed when the deadline is left
        self._lock = threading.Lock()

    def watch(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connections.append(connection)

    def watch_socket(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)

    def watch_new_socket(self, sock: socket.socket) -> None:
        """Watch a socket about to connect, through a duplicate of its descriptor: TLS takes the socket's
        own descriptor over (detaching it) during the handshake, the duplicate still reaches the socket.
        Refused once expired (an unconnected socket ignores shutdown)."""
        with self._lock:
            if self.expired:
                raise OSError("the deadline has passed")
            self._duplicates.append(sock.dup())

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
            for duplicate in self._duplicates:
                duplicate.close()
            self._duplicates.clear()

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            live = [connection.sock for connection in self._connections if connection.sock is not None]
            for sock in [*live, *self._sockets, *self._duplicates]:
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

        def _new_conn(self) -> socket.socket:
            deadline: _Deadline | None = getattr(_current, "deadline", None)
            if deadline is None or not deadline.preconnecting:
                return super()._new_conn()  # type: ignore[no-any-return]
            return _open_watched_socket(
                (self._dns_host, self.port), self.timeout, self.socket_options or (), deadline.watch_new_socket
            )

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


def _open_watched_socket(
    address: tuple[str, int], timeout: Any, options: Sequence[tuple[int, int, int | bytes]], watch: Callable[..., None]
) -> socket.socket:
    """urllib3's create_connection, but each socket is handed to `watch` before its connect() starts."""
    last_error: OSError | None = None
    host, port = address
    for family, kind, proto, _, target in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        try:
            watch(sock)
            for option in options:
                sock.setsockopt(*option)
            if isinstance(timeout, int | float):
                sock.settimeout(timeout)
            sock.connect(target)
        except OSError as error:
            last_error = error
            sock.close()
            continue
        return sock
    raise last_error or OSError("no address to connect to")


class _Preconnect:
    """Opens the connection a POST will use, in a background thread, within `seconds`; sends nothing on it.

    The connection comes from the pool the POST will draw from (same scheme, host, port and TLS
    settings), is connected exactly as urllib3 would connect it (TLS verified), and is put back into
    that pool. Its deadline is armed on the watchdog like a call's: at `seconds`, or on cancel(), the
    socket is shut down, which aborts a connect() or TLS handshake at once. (A DNS lookup cannot be
    aborted; the resolver's own timeouts bound it, as they bound the POST's.)
    """

    def __init__(self, pool: HTTPConnectionPool, seconds: float, connected: Callable[[], None]) -> None:
        self._pool = pool
        self._seconds = seconds
        self._connected = connected
        self._deadline = _Deadline(seconds, preconnecting=True)
        self.succeeded = False
        self._thread = threading.Thread(target=self._run, name="kick-preconnect", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with self._deadline:
            try:
                # urllib3 has no public "open a pooled connection": its own urlopen() uses _get_conn and _put_conn.
                connection = self._pool._get_conn()
            except Exception:  # a closed pool: the POST connects the plain way
                return
            try:
                connection.timeout = self._seconds
                self._deadline.watch(cast("HTTPConnection", connection))
                connection.connect()
            except Exception:
                connection.close()
                self._pool._put_conn(None)  # gives the slot back, as urllib3 does
                return
            if self._deadline.expired:
                connection.close()
                self._pool._put_conn(None)
                return
            self._connected()
            self.succeeded = True
            self._pool._put_conn(connection)

    @property
    def ran_out_of_time(self) -> bool:
        """Its deadline (the call's whole allowance when it started) passed before Kick completed the handshake."""
        return self._deadline.expired and not self.succeeded

    def wait(self, seconds: float) -> bool:
        """True when the preconnect is over (whether it succeeded or not) within `seconds`."""
        self._thread.join(max(0.0, seconds))
        return not self._thread.is_alive()

    def cancel(self) -> None:
        """Shut its socket down if it is still connecting, and wait for the thread to end.

        Expired again until the thread ends: a socket it created just as the first expiry ran would
        otherwise go on to connect (the deadline refuses sockets created after it).
        """
        until = time.monotonic() + _CANCEL_JOIN_SECONDS
        while self._thread.is_alive() and time.monotonic() < until:
            self._deadline.expire()
            self._thread.join(0.02)


# After a shutdown the thread's connect or handshake fails at once; this only guards against a DNS lookup.
_CANCEL_JOIN_SECONDS = 1.0


class KickClient:
    """One keep-alive session per container; never redirects, never retries a POST."""

    def __init__(self) -> None:
        self._session = requests.Session()
        self._session.trust_env = False  # no proxies or .netrc from the environment: the form goes to Kick only
        adapter = _DeadlineAdapter(pool_connections=1, pool_maxsize=1, max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._last_used = float("-inf")
        self._preconnect: _Preconnect | None = None

    @property
    def preconnect_pending(self) -> bool:
        return self._preconnect is not None

    def preconnect(self, url: str, seconds: float) -> None:
        """Start opening (TCP, TLS) the connection a POST to `url` will take, for a request to overlap the
        handshake with its other waits. Best effort and bounded by `seconds`: post_form waits for it within
        its own deadline and otherwise connects the plain way. Nothing is sent on it, so nothing (the secret
        least of all) can go anywhere but `url`, which post_form then requests without following redirects.
        Does nothing while a kept-alive connection is fresh or another preconnect is pending.
        """
        now = time.monotonic()
        if self._preconnect is not None or now - self._last_used <= MAX_IDLE_SECONDS:
            return
        self._session.close()  # the idle rule of post_form, applied now: a stale connection goes
        try:
            pool = self._pool_for(url)
        except Exception:  # an unusable URL: the POST reports it the plain way
            return
        self._preconnect = _Preconnect(pool, seconds, self._connected)

    def cancel_preconnect(self) -> None:
        """End a pending preconnect the request did not use; a completed one stays pooled (MAX_IDLE applies)."""
        preconnect, self._preconnect = self._preconnect, None
        if preconnect is not None:
            preconnect.cancel()

    def _connected(self) -> None:
        self._last_used = time.monotonic()

    def _pool_for(self, url: str) -> HTTPConnectionPool:
        """The pool session.post(url) would use: same adapter, same TLS verification, no proxies."""
        request = requests.Request("POST", url).prepare()
        adapter = self._session.get_adapter(url)
        assert isinstance(adapter, HTTPAdapter)
        verify = self._session.verify
        pool = adapter.get_connection_with_tls_context(request, verify, proxies={}, cert=None)
        adapter.cert_verify(pool, url, verify, None)  # type: ignore[no-untyped-call]
        assert isinstance(pool, HTTPConnectionPool)
        return pool

    def _settle_preconnect(self, seconds: float) -> bool:
        """Wait (at most `seconds`) for a pending preconnect; False when Kick's handshake took all that time."""
        preconnect = self._preconnect
        if preconnect is None:
            return True
        if preconnect.wait(seconds):
            self._preconnect = None
            return not preconnect.ran_out_of_time
        self.cancel_preconnect()
        return False

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
        if not self._settle_preconnect(deadline_seconds):
            raise upstream_timeout()
        deadline_seconds -= time.monotonic() - started
        if deadline_seconds <= 0:
            raise upstream_timeout()
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

"""A cold request's waits, overlapped: what does not need the secret starts while Secrets Manager answers.

Without it a cold request pays, one after another: Secrets Manager's client and round trip, the replay
window's imports, DynamoDB's client and connection, and Kick's connection (TCP, TLS). None of the
latter needs the secret, so `Warmup.start` sets them going in the background as soon as the request
is known to be valid (docs/performance.md has the timeline and the figures):

- `KickClient.preconnect`: Kick's connection, opened in its own thread, nothing sent on it;
- `ReplayWindow.connect` (window on): its DynamoDB client, from the container's one AWS session, and
  its connection (a read of no record), in another thread;
- `ReplayWindow.load` (window on): the window's modules (its DynamoDB store, `cryptography`),
  imported in a third thread while the second waits on DynamoDB.

Every step is best effort and bounded by the request's deadline: the request uses what is ready when
it needs it, waits for what is under way (the same work it would otherwise start then), and meets any
failure again the plain way, where it is reported as without the warm-up. `finish()` runs before the
request answers: it cancels a preconnect the request did not use and joins every thread, so no thread,
socket or lock outlives the request and nothing runs after the answer (Lambda freezes the container).
A warm request (fresh connection, client already made) starts nothing.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Protocol

from core.budget import Budget
from core.settings import Settings
from proxy.adapters.kick import KickClient
from proxy.adapters.secrets_manager import ClientCredentialsReader
from proxy.replay_window import ReplayWindow


class Clients(Protocol):
    """The container's clients, read at each use: tests replace them on a live container."""

    kick: KickClient
    credentials: ClientCredentialsReader
    replay: ReplayWindow


class Warmup:
    """One per container (the pipeline's Container): the background steps of the request in flight."""

    def __init__(self, clients: Clients) -> None:
        self._clients = clients
        self._threads: list[threading.Thread] = []
        self._finish_by = 0.0

    def start(self, settings: Settings, budget: Budget) -> None:
        """Start what this request will need and the container does not have yet; never raises."""
        with contextlib.suppress(Exception):  # best effort, as every step: the request goes on the plain way
            self._start(settings, budget)

    def _start(self, settings: Settings, budget: Budget) -> None:
        self._finish_by = budget.finish_by
        self._clients.kick.preconnect(settings.token_url, budget.upstream_allowance(time.monotonic()))
        # The secret's client first, on this thread, while Kick's handshake runs: the read is the critical
        # path, and the GIL would otherwise share the client's creation with the window's preparation.
        with contextlib.suppress(Exception):  # a failure is the read's to report
            self._clients.credentials.prepare()
        replay = self._clients.replay
        if settings.replay_table_name and not replay.connected:
            # The imports start only once the client is made: while this thread goes on to send for the
            # secret, one background thread at a time competes with it for the GIL.
            def load_while_connecting() -> None:
                self._threads.append(_background("replay-load", replay.load))

            self._threads.append(_background("replay-connect", lambda: replay.connect(settings, load_while_connecting)))

    def finish(self) -> None:
        """End whatever the request did not use, before it answers."""
        self._clients.kick.cancel_preconnect()
        while self._threads:  # a thread joined may have started another: the loop sees it
            self._threads.pop(0).join(max(0.0, self._finish_by - time.monotonic()))


def _background(name: str, step: Callable[[], None]) -> threading.Thread:
    def run() -> None:
        with contextlib.suppress(Exception):  # best effort: the request meets, and reports, the same failure itself
            step()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread

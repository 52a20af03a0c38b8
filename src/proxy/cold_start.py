"""What a container does once: import the entry modules, then serve its first request."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run with the cyclic garbage collector paused, then freeze what ran created.

    Importing Powertools, requests and botocore, and then the first request's clients and service
    models, create tens of thousands of objects that live as long as the container: collecting among
    them frees nothing and costs a few percent of a cold start (docs/performance.md). Frozen, they
    are also skipped by every later collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()

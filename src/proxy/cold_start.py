"""What the entry modules do once per container, before the first request."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Import with the cyclic garbage collector paused, then freeze what the import created.

    Importing Powertools, requests and botocore creates tens of thousands of objects that live as
    long as the container: collecting among them frees nothing and was a tenth of every cold start
    (benchmarks/). Frozen, they are also skipped by every later collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()

"""Large batches in one use case (the monthly billing run: a hundred thousand placements, bills and lines).

Such a batch allocates millions of small immutable values (frozen dataclasses, Decimals, dates) that hold no
reference cycles and are freed by reference counting. CPython's cyclic garbage collector, triggered by the
allocation count alone, would walk all of them again and again: about a quarter of the run's CPU time in the
benchmark (``benchmarks/billing.py``). ``cyclic_gc_paused`` pauses it for the batch; it nests and may be
entered by several threads at once, and the collector is on again (as it was) when the last batch ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_active = 0
_was_enabled = True


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    global _active, _was_enabled
    with _lock:
        if _active == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _was_enabled:
                gc.enable()

"""Python's cyclic garbage collector held off while a set-based job works through one batch.

A batch of the engagement scan builds and drops millions of small containers (rows, figures,
reasons, snapshot documents). The collector starts a young collection every 700 allocations and,
now and then, a full one over every object in the process (Django's, the modules', the batch's).
On a national scan (`seed_scale --factor 1`, 155,000 participations) that was 17,400 collections
and 6.2 s of a 37.4 s scan, for ~750 unreachable objects found in all: the batch's objects are
freed by reference counting as soon as they are dropped, and almost none are in cycles.

So, while a batch runs, the objects that existed before it are frozen (`gc.freeze`: moved aside,
never traversed) and the collector is off; when it ends, one collection finds the batch's few
cycles among what the batch left, and the frozen objects go back. Memory stays what it was (the
scan's peak: 117 MB either way); the time goes (docs/performance.md). This is the standard
library's own remedy (`gc.freeze`, documented for long-lived processes); no package does it.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

# Re-entrant: a finalizer run by the final collection may, in theory, pause it again.
_lock = threading.RLock()
# How many bodies are running with the collector paused (threads, or a paused body that calls
# another): the collector comes back when the last one ends, as it was before the first.
_depth = 0
_was_enabled = True


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Run the body with the cyclic collector off and the objects that existed before it frozen;
    collect what the body left once, at the end. Re-entrant and safe across threads (the collector
    is the process's: it is paused until the last body ends)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
            gc.freeze()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                # Before unfreezing: the collection traverses only what the body created.
                gc.collect()
                gc.unfreeze()
                if _was_enabled:
                    gc.enable()

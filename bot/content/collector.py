"""The cyclic garbage collector paused while content loads, and what it keeps after.

Loading and indexing make hundreds of thousands of objects that all live as
long as the content does; the collector, triggered by their allocations, would
rescan them again and again and free nothing. Shared by the loader and the
index (bot/matching), which is why it is a module of its own.
"""

from __future__ import annotations

import _thread  # threading.Lock without importing threading (asking needs no threads)
import contextlib
import gc
from collections.abc import Iterator

_pauses = 0
_pauses_lock = _thread.allocate_lock()
_collector_was_enabled = True


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while content loads, on again after.

    Loading makes hundreds of thousands of objects that all live on, and the
    collector, triggered by the allocations, rescans the growing heap again
    and again: a sixth of the time at 10,000 entries, more as it grows. It
    frees nothing here. Reference counting still frees what dies. Pauses may
    nest and overlap across threads (a reload runs in one); the last to end
    restores the collector as the first found it.
    """
    global _pauses, _collector_was_enabled
    with _pauses_lock:
        if _pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if _pauses == 0:
                _freeze_if_large()
                if _collector_was_enabled:
                    gc.enable()


#: A pause during which at least this many objects the collector tracks were made
#: and kept (about 20,000 entries' worth: text, numbers and dicts of them are not
#: tracked) hands them to the permanent generation (see _freeze_if_large).
FREEZE_MIN_OBJECTS = 100_000


def _freeze_if_large() -> None:
    """Keep what a large load made out of every later collection (`gc.freeze`).

    Without it, the objects made while the collector was paused are all young:
    the allocations after the pause (a person's lookups) pay for collections
    that walk all of them as they age, the last a full one, about a tenth of a
    second at 100,000 entries. Frozen, they are never walked again. Reference counting
    still frees them when a reload replaces the content: content holds no
    reference cycles. Cyclic garbage that happens to be young at that moment
    stays for good; that is a few objects, once per large load.
    """
    if gc.get_count()[0] >= FREEZE_MIN_OBJECTS:
        gc.freeze()

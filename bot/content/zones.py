"""Is a plan's `timezone` a real time zone? Answered without importing zoneinfo when it can be.

Every load checks every plan's time zone, so every `facts-bot ask` did, and
importing zoneinfo (with sysconfig, for the system's zone folders) cost it
about 3 ms, a tenth of what it spends past its libraries. Asking does not
otherwise need zoneinfo: only alerts and event days compute local times.

The shortcut only ever says yes: a name spelled as IANA names are (letters,
digits, `_+-`, parts joined by `/`: no `..`, no leading `/`) whose file in the
`tzdata` package (a dependency) is a compiled zone (it starts with `TZif`)
is a zone `ZoneInfo` finds too, on any system. Anything else is decided by
`ZoneInfo` itself, as before, except that a name it fails to open as a file
("America" is a folder; a 300-letter name is too long) is not a zone either:
it used to stop the whole load with "Is a directory".
"""

from __future__ import annotations

import datetime as dt
import os
import re
from functools import lru_cache

_IANA_NAME = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")
_MAX_NAME_CHARS = 100  # the longest IANA name has 32; longer is decided by ZoneInfo
_TZIF_MAGIC = b"TZif"


@lru_cache(maxsize=1024)
def is_time_zone(name: str) -> bool:
    """Would `zoneinfo.ZoneInfo(name)` load a zone?

    Remembered: a department's plans name a few zones, and each answer opened
    a file (0.03 s of a 10,000-entry load, 359 plans). The zone files do not
    change while the bot runs; ZoneInfo itself keeps what it loaded.
    """
    return _in_tzdata(name) or _loads(name)


def _in_tzdata(name: str) -> bool:
    """Is `name` a compiled zone in the tzdata package? False when unsure."""
    if len(name) > _MAX_NAME_CHARS or not _IANA_NAME.fullmatch(name):
        return False
    try:
        import tzdata  # a package of data files; its __init__ defines one constant
    except ImportError:
        return False
    path = os.path.join(os.path.dirname(tzdata.__file__), "zoneinfo", *name.split("/"))
    try:
        with open(path, "rb") as file:
            return file.read(len(_TZIF_MAGIC)) == _TZIF_MAGIC
    except OSError:  # no such file, a folder ("America"), unreadable
        return False


def _loads(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    except OSError:  # "America" (a folder in tzdata), a name too long for a file
        return False
    return True


def local_date(instant: dt.datetime, timezone: str) -> dt.date:
    """The date at `instant` in `timezone`: the day a plan's `effective` and `expires`
    are judged on (the plan's own calendar, not UTC's)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"an instant needs a time zone, not {instant!r}")
    return instant.astimezone(_zone(timezone)).date()


@lru_cache(maxsize=256)
def _zone(name: str) -> dt.tzinfo:
    """The zone, loaded once; zoneinfo is imported only when a plan's day is needed
    (`facts-bot ask` on content with no dates never does)."""
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)

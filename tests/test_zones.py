"""A plan's time zone is checked as zoneinfo would, without importing it on ask's path."""

from __future__ import annotations

import subprocess
import sys
import zoneinfo

import pytest

from bot.content import check_knowledge
from bot.content.zones import is_time_zone
from conftest import TODAY

PLAN = "ice-secure-communities-2009-04"


def zoneinfo_loads(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def test_every_zone_zoneinfo_knows_is_a_time_zone():
    names = zoneinfo.available_timezones()
    assert len(names) > 400 and all(is_time_zone(name) for name in names)


@pytest.mark.parametrize("name", [
    "America/New_York", "UTC", "Etc/GMT+5", "EST5EDT", "America/Port-au-Prince", "Factory",
    "localtime", "posixrules",  # in the system's folder only: zoneinfo decides, as before
    # not zones: files of tzdata that are not compiled zones, folders, paths out, spellings
    "leapseconds", "tzdata.zi", "zone1970.tab", "__init__.py", "America", "America/",
    "America/New_York/", "../etc/passwd", "/etc/localtime", "America/../Europe/Paris",
    "america/new_york", " UTC", "UTC ", "Mars/Base", "a\x00b", "x" * 300, "Å/Ø", "",
])
def test_a_name_is_a_time_zone_exactly_when_zoneinfo_loads_it(name):
    assert is_time_zone(name) == zoneinfo_loads(name)


def test_asking_with_a_valid_zone_does_not_import_zoneinfo():
    """Every load checks the plan's zone; zoneinfo costs `facts-bot ask` about 3 ms."""
    code = ("import sys; from bot.content.zones import is_time_zone; "
            "assert is_time_zone('America/New_York'); print('zoneinfo' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == "False", done.stderr


@pytest.mark.parametrize("zone", ["America", "x" * 300, "leapseconds"])
def test_a_zone_that_is_a_folder_or_too_long_is_one_problem_line_not_a_failed_load(
        knowledge_copy, zone):
    """"America" once stopped the whole load with "Is a directory" (tzdata's folder)."""
    document = knowledge_copy / PLAN / "document.yaml"
    document.write_text(document.read_text().replace("America/New_York", zone, 1))
    snapshot, problems = check_knowledge(knowledge_copy, TODAY)
    about_zone = [str(p) for p in problems if p.field == "document.timezone"]
    assert snapshot is None and len(about_zone) == 1
    assert f"document.yaml:6: document.timezone: {zone[:20]}" in about_zone[0].replace("'", "")
    assert about_zone[0].endswith("is not a known time zone (e.g. America/New_York)")

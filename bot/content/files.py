"""Which files of a knowledge folder are content: its visible YAML files.

Apart from loading.py so that what counts as a content file (hidden paths,
links, unreadable folders, links to folders) reads in one place, and so that
tools that only list the files (tests, `facts-bot validate`'s callers) need
not read the loader.
"""

from __future__ import annotations

import os
from pathlib import Path


def knowledge_files(directory: Path, unreadable: list[Path] | None = None,
                    folder_links: list[Path] | None = None) -> list[Path]:
    """The YAML files, hidden paths skipped; folders that may not be read go to
    `unreadable`, links to folders (not entered) to `folder_links`.

    A Kubernetes ConfigMap volume holds each file twice: in a hidden dated
    folder and as a link beside it. Reading only visible paths loads each once
    and gives every replica the same content version.

    The files `rglob("*")` finds (tests/test_loading_shortcuts.py holds it to
    that), walked with `os.scandir`: each entry's kind is known from the listing,
    so only links cost a `stat`, and hidden folders are not entered. rglob made
    a Path and a `stat` for every entry: twice the time at 2,146 files.
    """
    found: list[Path] = []
    _walk(directory, found, [] if unreadable is None else unreadable,
          [] if folder_links is None else folder_links)
    return sorted(found)


def _walk(folder: Path, found: list[Path], unreadable: list[Path],
          folder_links: list[Path]) -> None:
    """Add the visible .yaml/.yml files (and links: a broken one is read, and said so)
    below `folder` to `found`. As rglob: a link to a folder is not entered (it goes to
    `folder_links`, to be named); a folder that may not be read is passed over, and
    added to `unreadable`."""
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except PermissionError:
        unreadable.append(folder)
        return
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            _walk(folder / name, found, unreadable, folder_links)
        elif name.endswith((".yaml", ".yml")) and (entry.is_symlink() or entry.is_file()):
            found.append(folder / name)
        elif entry.is_symlink() and _links_to_folder(entry):
            folder_links.append(folder / name)


def _links_to_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a loop, a target that may not be read: nothing to name
        return False

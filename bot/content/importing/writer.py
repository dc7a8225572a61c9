"""Writing a draft as a plan folder: document.yaml, one file per kind, the source beside.

Approved text is written as YAML literal blocks, so an author reviewing the
draft reads it as the plan has it; the folder is then validated like any
other, which runs the verbatim check against the copied source.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from bot.content.importing.drafting import Draft

FILES = {"sound_bite": "sound_bites.yaml", "talking_point": "talking_points.yaml",
         "if_asked": "if_asked.yaml", "qa": "qa.yaml", "event": "outreach.yaml",
         "media_action": "outreach.yaml", "background": "background.yaml",
         "contact": "contact.yaml", "reference": "contact.yaml"}
FIELD_ORDER = ("id", "document", "kind", "title", "section", "topic", "question", "text",
               "supporting", "schedule", "review_by", "questions", "keywords")


class _Dumper(yaml.SafeDumper):
    """Block style, keys in our order, long or multi-line text as literal blocks.

    Never anchors and aliases (`&id001`/`*id001` for a date used twice): the
    loader refuses them, and an author reads every value where it applies.
    """

    def ignore_aliases(self, data: object) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    literal = "\n" in value or len(value) > 80
    if literal and value == value.strip() and not any(c in value for c in "\t\r"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _text)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096,
                     default_flow_style=False)


def write_plan(draft: Draft, source: Path, out: Path) -> list[Path]:
    """Write the folder (refusing to overwrite a plan already there); the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "document.yaml"]
    existing = [p.name for p in out.iterdir() if p.suffix in (".yaml", ".yml")]
    if existing:
        raise FileExistsError(f"{out} already holds {', '.join(sorted(existing))}; "
                              "import into a new folder")
    copy = out / source.name
    if not (copy.exists() and copy.samefile(source)):  # dropped into its folder first
        shutil.copyfile(source, copy)
    document = {"document": {**draft.document, "source_file": source.name}}
    written[0].write_text(dump(document), encoding="utf-8")
    by_file: dict[str, list[dict[str, Any]]] = {}
    for entry in draft.entries:
        ordered = {key: entry[key] for key in FIELD_ORDER if entry.get(key) not in (None, [])}
        ordered["document"] = draft.document["id"]
        ordered = {key: ordered[key] for key in FIELD_ORDER if key in ordered}
        by_file.setdefault(FILES[entry["kind"]], []).append(ordered)
    for name, entries in by_file.items():
        path = out / name
        path.write_text(dump({"entries": entries}), encoding="utf-8")
        written.append(path)
    return [*written, copy]

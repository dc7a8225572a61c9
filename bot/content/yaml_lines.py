"""Safe YAML that remembers where each mapping and key came from.

Every problem in the content must name its file and line, so mappings are
read into dicts that carry their own line and each key's line. Dates stay
text, for the field checks to parse and explain.

Content has no use for anchors and aliases, and they are how a 542-byte file
expands to gigabytes ("billion laughs"); `load` refuses them, and any file
past `MAX_NODES` values, from the parser's events, before anything is built.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import yaml


class LineDict(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe YAML that keeps line numbers and leaves dates as text for us to check."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be plain text, not a list or a mapping",
                key_node.start_mark)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


MAX_NODES = 50_000  # the bundled plan's largest file has about 500


class Refused(Exception):
    """YAML the content loader will not build, with the line that shows why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load(text: str, max_nodes: int = MAX_NODES) -> Any:
    """The YAML document in `text`; Refused for anchors, aliases or too many values."""
    nodes = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent):
            raise Refused(line, "aliases (*name) are not allowed in content: write the text out")
        if isinstance(event, yaml.NodeEvent):
            if event.anchor:
                raise Refused(line, "anchors (&name) are not allowed in content: "
                                    "write the text out")
            nodes += 1
            if nodes > max_nodes:
                raise Refused(line, f"more than {max_nodes} values in one file; "
                                    "split it into several files")
    return yaml.load(text, Loader=Loader)

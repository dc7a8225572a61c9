"""Safe YAML that remembers where each mapping and key came from.

Every problem in the content must name its file and line, so mappings are
read into dicts that carry their own line and each key's line. Dates stay
text, for the field checks to parse and explain.

Content has no use for anchors and aliases, and they are how a 542-byte file
expands to gigabytes ("billion laughs"); `load` refuses them, and any file
past `MAX_NODES` values or `MAX_DEPTH` levels of nesting, naming the line of
the first one found, before anything is built. A value YAML's own
constructors cannot read (`!!int abc`) is a problem on its line too.

Two ways to the same result. The checked way reads the parser's events once
to refuse anchors, aliases and too many values, then lets PyYAML build. It
parses every file twice, half of the load time at department scale, so
ordinary files take the direct way: when the text holds nothing that could
be an anchor (`_MAYBE_ANCHOR`), an alias can only be undefined (a composer
error), so no node is shared and nothing can expand; libyaml composes the
node graph and `_Builder` turns it into values, counting them. Anything the
direct way is not sure of (an error, an unusual tag, a value past the bound)
goes the checked way, so problems and their lines are the checked way's.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


class LineDict(dict):
    """A mapping that remembers the line of itself and of each key."""

    __slots__ = ("line", "key_lines")
    line: int
    key_lines: dict[str, int]


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe YAML that keeps line numbers and leaves dates as text for us to check."""

    def resolve(self, kind: type, value: str | None, implicit: Any) -> str:
        """PyYAML's resolver with its per-call lookups done once, in `_RESOLVERS`.

        The composer calls it for every value; this loader has no path
        resolvers, so only the implicit ones (int, bool, null...) apply.
        """
        if kind is ScalarNode:
            if implicit[0]:
                for tag, pattern in _RESOLVERS.get(value[:1], _ANY_START):  # type: ignore[index]
                    if pattern.match(value):
                        return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        """PyYAML's, with a value its constructor cannot read as a problem on its line.

        `!!int abc`, `!!bool maybe`, `!!timestamp hello` or a 5,000-digit number
        make PyYAML's own constructors raise ValueError, KeyError or
        AttributeError, which would reach the author as a traceback.
        """
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError):
            kind = str(node.tag).rsplit(":", 1)[-1]
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {_excerpt(node.value)} as {kind}",
                node.start_mark) from None

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """Nothing to track: there are no path resolvers (called for every value)."""

    def ascend_resolver(self) -> None:
        """Nothing to track: there are no path resolvers (called for every value)."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ANY_START = tuple(Loader.yaml_implicit_resolvers.get(None, ()))
_RESOLVERS = {first: tuple(resolvers) + _ANY_START
              for first, resolvers in Loader.yaml_implicit_resolvers.items() if first is not None}


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
#: Content nests four deep (entries, an entry, its schedule, a list); building
#: much deeper recurses past Python's limit.
MAX_DEPTH = 100
#: Longer texts go the checked way: a composed graph costs up to ~140 bytes a
#: character before its values can be counted (the bundled largest is 12 kB).
DIRECT_CHARS = 200_000
#: An anchor is `&` at the start of a token, then a letter, digit, '-' or '_'.
#: A token never starts right after a letter or digit (one would error or be
#: part of the word, as in "Q&A"), so text without this match has no anchor.
#: (The '&' comes first in the pattern: a lookbehind first is tried at every character.)
_MAYBE_ANCHOR = re.compile(r"&(?<![0-9A-Za-z]&)[0-9A-Za-z_-]")


class Refused(Exception):
    """YAML the content loader will not build, with the line that shows why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load(text: str, max_nodes: int = MAX_NODES, shared: dict[str, str] | None = None) -> Any:
    """The YAML document in `text`; Refused for anchors, aliases or too many values.

    `shared`, kept across the files of one load, holds one copy of each key and
    short text, used wherever it recurs (see SHARED_CHARS).
    """
    if len(text) <= DIRECT_CHARS and not _MAYBE_ANCHOR.search(text):
        try:
            return _load_direct(text, max_nodes, {} if shared is None else shared)
        except Exception:  # noqa: BLE001 (not sure: the checked way says what is wrong)
            pass
    return load_checked(text, max_nodes)


def load_checked(text: str, max_nodes: int = MAX_NODES) -> Any:
    """`load` the slow, sure way: every event checked before PyYAML builds anything."""
    nodes = depth = 0
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
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise Refused(line, too_deep())
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return yaml.load(text, Loader=Loader)


def too_deep() -> str:
    return f"lists and mappings nested more than {MAX_DEPTH} deep; content needs a few"


def _excerpt(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


class _NotSure(Exception):
    """The direct way stops; the checked way decides."""


def _load_direct(text: str, max_nodes: int, shared: dict[str, str]) -> Any:
    """libyaml composes (no anchors, so no node is shared); we build, counting values.

    Counting to the end is enough: the text is short (DIRECT_CHARS), and past
    the bound the checked way names the line.
    """
    loader = Loader(text)
    root = loader.get_single_node()
    if root is None:
        return None
    builder = _Builder(loader, shared)
    built = builder.value(root)
    if builder.values > max_nodes:
        raise _NotSure("too many values")
    return built


#: Keys and short text (a kind, a section, a keyword, a city) recur across thousands
#: of entries; one shared copy of each keeps a loaded department a fifth smaller.
#: (A dict of the load's own, not sys.intern: its table would stay at its largest.)
SHARED_CHARS = 80


class _Builder:
    """What `yaml.load(text, Loader=Loader)` builds, from the nodes, in document order.

    Plain text, lists and mappings of text keys are built here; any other
    scalar (a number, true, null) by PyYAML's own constructor for its tag.
    Anything else (a merge key, a set, a duplicate key) raises _NotSure. Text,
    by far the most common value, is built inline where it occurs: a call per
    value was a third of the building.
    """

    def __init__(self, loader: Loader, shared: dict[str, str]) -> None:
        self.loader = loader
        self.shared = shared.setdefault  # one copy of each key and short text
        self.values = 0  # built so far (the checked way refuses past its bound)
        self.depth = 0  # lists and mappings open

    def value(self, node: Node) -> Any:
        self.values += 1
        kind = node.__class__
        if kind is ScalarNode:
            if node.tag != _STR:
                return self.loader.construct_object(node)
            text = node.value
            return text if len(text) > SHARED_CHARS else self.shared(text, text)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _NotSure("too deep")
        if kind is MappingNode and node.tag == _MAP:
            built: Any = self.mapping(node)
        elif kind is SequenceNode and node.tag == _SEQ:
            built = self.sequence(node)
        else:
            raise _NotSure(node.tag)
        self.depth -= 1
        return built

    def sequence(self, node: SequenceNode) -> list:
        shared, items = self.shared, []
        for item in node.value:
            if item.__class__ is ScalarNode and item.tag == _STR:
                self.values += 1
                text = item.value
                items.append(text if len(text) > SHARED_CHARS else shared(text, text))
            else:
                items.append(self.value(item))
        return items

    def mapping(self, node: MappingNode) -> LineDict:
        shared, mapping = self.shared, LineDict()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = lines = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is not ScalarNode or key_node.tag != _STR:
                raise _NotSure("a key that is not text")
            key = shared(key_node.value, key_node.value)
            if key in mapping:
                raise _NotSure("duplicate key")
            if value_node.__class__ is ScalarNode and value_node.tag == _STR:
                self.values += 2
                text = value_node.value
                mapping[key] = text if len(text) > SHARED_CHARS else shared(text, text)
            else:
                self.values += 1
                mapping[key] = self.value(value_node)
            lines[key] = key_node.start_mark.line + 1
        return mapping

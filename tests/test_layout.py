"""The package layout's rules, read from the imports so that they stay true.

The core (what is approved, and how a question finds it) must not know about
Slack, HTTP, the database or the command line: it is what every surface
shares, and what a test can load in a millisecond.
"""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
CORE = ("bot.content", "bot.matching")
OUTER = ("bot.slack", "bot.store", "bot.service", "bot.cli", "bot.alerts", "bot.review")
OUTSIDE_WORLD = ("slack_bolt", "slack_sdk", "aiohttp", "psycopg", "sqlite3", "http", "socket")


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module this file imports, absolute, wherever the import statement stands."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def modules() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(BOT.rglob("*.py"))}


def within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_the_core_imports_nothing_from_slack_http_the_database_or_the_cli():
    broken = [f"{module} imports {target}"
              for module, targets in modules().items() if within(module, CORE)
              for target in targets
              if within(target, OUTER) or within(target, OUTSIDE_WORLD)]
    assert broken == []


def test_content_does_not_depend_on_matching():
    broken = [f"{module} imports {target}" for module, targets in modules().items()
              if within(module, ("bot.content",)) for target in targets
              if within(target, ("bot.matching",))]
    assert broken == []


def test_every_bot_module_lives_in_a_package_by_area():
    flat = [p.name for p in BOT.glob("*.py") if p.name != "__init__.py"]
    assert flat == []


def test_no_import_cycles_between_modules():
    graph = modules()
    known = set(graph)
    edges = {m: {t for t in targets if t in known and t != m} for m, targets in graph.items()}
    for module in edges:  # a package's __init__ re-exporting its own modules is not a cycle
        edges[module] = {t for t in edges[module] if not module.startswith(t + ".")}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, path: list[str]) -> bool:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycle.extend(path[path.index(target):] + [node, target])
                return True
            if target not in state and visit(target, path + [target]):
                return True
        state[node] = 2
        return False

    for start in sorted(edges):
        if start not in state and visit(start, [start]):
            break
    assert cycle == []

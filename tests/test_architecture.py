"""The house's import rules (docs/architecture.md), read from the source: dependencies between
the apps point one way, and the annotating core never imports curation. (The search package's own
rules, whoosh only inside search/ and backends that lean on no other backend, are
tests/test_search_structure.py.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
APPS = ("config", "accounts", "archive_site", "annotations", "curation", "search")

# What each app may import of the others (besides itself). config is the project package: it
# wires the apps together (urls, settings) and only archive_site's text rules are used by its parsers.
ALLOWED = {
    "accounts": set(),
    "archive_site": set(),
    "annotations": {"archive_site"},
    "curation": {"archive_site", "annotations"},
    "search": {"archive_site", "annotations"},
    "config": {"archive_site", "annotations", "curation", "search", "accounts"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules(app: str):
    for path in sorted((REPO / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


@pytest.mark.parametrize("app", [a for a in APPS if a != "config"])
def test_an_app_imports_only_the_apps_below_it(app):
    wrong = []
    for path in _modules(app):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in APPS and top != app and top not in ALLOWED[app]:
                wrong.append(f"{path.relative_to(REPO)} imports {name}")
    assert not wrong, "\n".join(wrong)

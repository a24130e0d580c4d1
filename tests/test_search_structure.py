"""The search package's layout holds (read from the source, every import anywhere in a module):
the core owns the query language and the search policy, a backend implements only the interface,
the postgres backend needs nothing of the Whoosh backend's, nothing outside ``search/`` imports
whoosh, and the modules of ``search/`` import each other without a cycle."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEARCH = REPO / "search"
NOT_APP_CODE = {"search", "tests", "bench", "node_modules", "var"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str] = frozenset()) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function, relative ones resolved
    (``from package import module`` imports the module, when it is one of ``modules``)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            submodules = {f"{base}.{alias.name}" for alias in node.names} & modules
            found.update(submodules or {base})
    return found


def python_files(root: Path):
    return sorted(p for p in root.rglob("*.py") if "migrations" not in p.parts)


def test_the_postgres_backend_imports_nothing_of_whoosh():
    for path in python_files(SEARCH / "backends" / "postgres"):
        bad = {m for m in imports(path) if m.split(".")[0] == "whoosh" or m.startswith("search.backends.whoosh")}
        assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


def test_nothing_outside_search_imports_whoosh():
    apps = [p for p in REPO.iterdir() if p.is_dir() and (p / "__init__.py").exists() and p.name not in NOT_APP_CODE]
    assert {"archive_site", "annotations", "config"} <= {p.name for p in apps}
    for app in apps:
        for path in python_files(app):
            bad = {m for m in imports(path) if m.split(".")[0] == "whoosh"}
            assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


def test_backends_neither_parse_nor_decide_the_search_policy():
    for path in python_files(SEARCH / "backends"):
        bad = {m for m in imports(path) if m.startswith(("search.parser", "search.policy", "search.services"))}
        assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


def test_the_search_modules_import_each_other_without_a_cycle():
    graph: dict[str, set[str]] = {}
    for path in python_files(SEARCH):
        graph[module_name(path)] = set()
    for path in python_files(SEARCH):
        name = module_name(path)
        graph[name] = {m for m in imports(path, set(graph)) if m in graph and m != name}
    assert "search.tasks" not in graph["search.backends"]
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*trail[trail.index(target):], target]))
            if target not in state:
                visit(target, [*trail, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_the_whoosh_schema_imports_without_django_apps():
    """Opening a Whoosh index unpickles its schema, whose analyzer lives in the search app: a
    plain Python process (a script, a lock holder) must be able to import it."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run([sys.executable, "-c", "import search.backends.whoosh.schema, search.backends"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]

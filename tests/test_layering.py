"""Dependency direction: the house's rooms and which may use which.

- ``certsvc/credentials/`` and ``certsvc/qr/`` (the plain-Python core) import no web framework,
  no database, and nothing first-party outside themselves but each other.
- ``verifier/pipeline`` (and the pure verifier modules it stands on) imports only the core.
- ``verifier/`` never imports ``issuers/``.
- Nothing imports the assembly (``certsvc/app.py``, ``certsvc/cli.py``) but the command line,
  which alone builds the app.
- A role's pages never import another role's pages.
- ``certsvc/`` holds at most four modules at its top level besides its packages.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = ("certsvc", "issuers", "verifier", "templates")
CORE_PACKAGES = frozenset({"certsvc.credentials", "certsvc.qr"})
#: The verifier modules the pipeline stands on: plain Python, like the core.
PURE_VERIFIER = frozenset(
    {"verifier.pipeline", "verifier.inputs", "verifier.reasons", "verifier.result", "verifier.summary"}
)
WEB_AND_DATABASE = frozenset({"flask", "flask_wtf", "werkzeug", "sqlalchemy", "alembic", "psycopg", "gunicorn"})
ASSEMBLY = frozenset({"certsvc.app", "certsvc.cli"})
TOP_LEVEL_MODULES = 4
#: What every role's pages may share (health, metrics, published documents): no role's own pages.
SHARED_WEB = "certsvc.web"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> Iterator[str]:
    """Yield every module ``source`` imports, anywhere in it, with relative imports resolved.

    ``from a import b`` yields both ``a`` and ``a.b`` (``b`` may be a submodule); calls of
    ``importlib.import_module`` and ``__import__`` with a literal name count as imports too.
    """
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.args[0].value


def is_within(module: str, banned: frozenset[str]) -> bool:
    """Tell whether ``module`` is one of ``banned`` or inside one (by whole dotted components)."""
    parts = module.split(".")
    return any(".".join(parts[:i]) in banned for i in range(1, len(parts) + 1))


def violations(source: str, module: str, banned: frozenset[str], is_package: bool = False) -> list[str]:
    return sorted({m for m in imported_modules(source, module, is_package) if is_within(m, banned)})


def source_path(module: str) -> Path | None:
    """The file of a first-party module, if it is one."""
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def first_party_imports(path: Path) -> set[str]:
    """The first-party modules ``path`` imports (names that are not modules are dropped)."""
    module = module_name(path)
    names = set(imported_modules(path.read_text(), module, path.name == "__init__.py"))
    return {n for n in names if n.split(".")[0] in FIRST_PARTY and source_path(n) is not None}


def with_dependencies(paths: list[Path]) -> list[Path]:
    """The files and every first-party module they import, transitively (packages' __init__ too)."""
    seen: set[Path] = set()
    pending = list(paths)
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        module = module_name(path)
        parents = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
        for name in first_party_imports(path) | parents:
            found = source_path(name)
            if found is not None:
                pending.append(found)
    return sorted(seen)


def package_files(package: str) -> list[Path]:
    return sorted(ROOT.joinpath(*package.split(".")).rglob("*.py"))


def product_files() -> list[Path]:
    return [p for top in ("certsvc", "issuers", "verifier") for p in package_files(top)]


def check(paths: list[Path], banned: frozenset[str]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        bad = violations(path.read_text(), module_name(path), banned, path.name == "__init__.py")
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def outside(paths: list[Path], allowed: frozenset[str]) -> dict[str, list[str]]:
    """First-party imports of ``paths`` that fall outside ``allowed`` (packages or modules)."""
    found = {}
    for path in paths:
        bad = sorted(m for m in first_party_imports(path) if not is_within(m, allowed) and m != "certsvc")
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def blueprint_modules() -> list[Path]:
    """The product's page and API modules: those that create a Flask ``Blueprint``."""
    found = []
    for path in product_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Blueprint":
                found.append(path)
                break
    return found


def role_of(path: Path) -> str:
    """Whose pages a blueprint module serves: its package, and in ``issuers/`` the role it names."""
    module = module_name(path)
    if module.startswith("issuers."):
        leaf = module.rpartition(".")[2]
        return {"views_embassy": "embassy", "views_provider": "provider", "views_imports": "provider"}.get(leaf, "api")
    return module.rpartition(".")[0]


# --- the project ------------------------------------------------------------------------------


def test_the_core_packages_exist() -> None:
    for package in CORE_PACKAGES:
        assert source_path(package) is not None, f"{package} moved: update CORE_PACKAGES"
    assert source_path("verifier.pipeline") is not None


def test_core_imports_no_web_framework_database_or_other_part() -> None:
    core = [p for package in CORE_PACKAGES for p in package_files(package)]
    assert len(core) > 10
    assert check(core, WEB_AND_DATABASE) == {}
    assert outside(core, CORE_PACKAGES) == {}


def test_pipeline_imports_only_the_core() -> None:
    closure = with_dependencies([ROOT / "verifier" / "pipeline.py"])
    modules = {module_name(p) for p in closure}
    assert {"certsvc.credentials.jws", "certsvc.qr.transport"} <= modules
    strays = sorted(m for m in modules if not is_within(m, CORE_PACKAGES | PURE_VERIFIER | {"certsvc", "verifier"}))
    assert strays == []
    assert check(closure, WEB_AND_DATABASE) == {}


def test_verifier_never_imports_issuers() -> None:
    assert check(package_files("verifier"), frozenset({"issuers"})) == {}
    assert check(with_dependencies(package_files("verifier")), frozenset({"issuers"})) == {}


def test_nothing_imports_the_assembly_but_the_command_line() -> None:
    importers = {
        str(p.relative_to(ROOT)): bad
        for p in product_files()
        if (bad := violations(p.read_text(), module_name(p), ASSEMBLY, p.name == "__init__.py"))
    }
    assert importers == {"certsvc/cli.py": ["certsvc.app", "certsvc.app.create_app"]}


def test_no_role_imports_another_roles_pages() -> None:
    pages = blueprint_modules()
    assert len(pages) >= 10
    by_module = {module_name(p): p for p in pages}
    crossings = {}
    for path in pages:
        for name in first_party_imports(path):
            target = by_module.get(name)
            if target is not None and role_of(target) not in (role_of(path), SHARED_WEB):
                crossings.setdefault(str(path.relative_to(ROOT)), []).append(name)
    assert crossings == {}


def test_the_top_level_holds_only_the_assembly() -> None:
    modules = sorted(p.name for p in (ROOT / "certsvc").glob("*.py"))
    assert len(modules) <= TOP_LEVEL_MODULES
    assert modules == ["__init__.py", "app.py", "cli.py", "config.py"]


def test_every_package_folder_is_a_package() -> None:
    folders = [d for d in (ROOT / "certsvc").rglob("*") if d.is_dir() and any(d.glob("*.py"))]
    assert [str(d.relative_to(ROOT)) for d in folders if not (d / "__init__.py").is_file()] == []


# --- the checker itself -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import flask", ["flask"]),
        ("import flask.json as j", ["flask.json"]),
        ("from flask import Flask", ["flask", "flask.Flask"]),
        ("from werkzeug.exceptions import NotFound", ["werkzeug.exceptions", "werkzeug.exceptions.NotFound"]),
        ("import sqlalchemy.orm", ["sqlalchemy.orm"]),
        ("def f():\n    from sqlalchemy import select\n    return select", ["sqlalchemy", "sqlalchemy.select"]),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import flask", ["flask"]),
        ("import importlib\nimportlib.import_module('flask')", ["flask"]),
        ("__import__('werkzeug')", ["werkzeug"]),
        ("import json, re", []),
        ("import flasky\nfrom flask_like import x", []),
        ("from certsvc.credentials.jws import parse_compact", []),
    ],
)
def test_checker_finds_web_and_database_imports(source: str, expected: list[str]) -> None:
    assert violations(source, "certsvc.credentials.example", WEB_AND_DATABASE) == expected


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        ("from certsvc import app", "certsvc.web.example", ["certsvc.app"]),
        ("from certsvc.app import create_app", "certsvc.web.example", ["certsvc.app", "certsvc.app.create_app"]),
        ("import certsvc.cli", "certsvc.demo.example", ["certsvc.cli"]),
        ("from .. import app", "certsvc.web.example", ["certsvc.app"]),
        ("from ..cli import main", "certsvc.demo.example", ["certsvc.cli", "certsvc.cli.main"]),
        ("from .app import create_app", "certsvc", ["certsvc.app", "certsvc.app.create_app"]),
        ("from certsvc.apps import y\nfrom certsvc import config", "certsvc.web.example", []),
        ("from certsvc.app_helpers import y", "certsvc.web.example", []),
    ],
)
def test_checker_finds_assembly_imports(source: str, module: str, expected: list[str]) -> None:
    is_package = module == "certsvc"
    assert violations(source, module, ASSEMBLY, is_package) == expected


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("import issuers", True),
        ("from issuers.cosign import queue", True),
        ("from issuers import revocation", True),
        ("from certsvc.issuers_note import x", False),
        ("import issuersx", False),
    ],
)
def test_checker_finds_issuers_imports(source: str, flagged: bool) -> None:
    assert bool(violations(source, "verifier.example", frozenset({"issuers"}))) is flagged


def test_checker_flags_a_core_file_that_gains_an_import() -> None:
    """The whole check, run on a copy of a core module with a Flask import added, fails."""
    original = (ROOT / "certsvc" / "credentials" / "jws.py").read_text()
    assert violations(original, "certsvc.credentials.jws", WEB_AND_DATABASE) == []
    tampered = original.replace("import json\n", "import json\nfrom flask import request\n", 1)
    assert violations(tampered, "certsvc.credentials.jws", WEB_AND_DATABASE) == ["flask", "flask.request"]


def test_checker_flags_a_core_file_that_imports_the_store(tmp_path: Path) -> None:
    path = ROOT / "certsvc" / "qr" / "v2.py"
    tampered = path.read_text().replace("import zlib\n", "import zlib\n\nfrom certsvc.store import db\n", 1)
    assert "from certsvc.store import db" in tampered
    names = {n for n in imported_modules(tampered, "certsvc.qr.v2") if n.split(".")[0] in FIRST_PARTY}
    assert sorted(n for n in names if not is_within(n, CORE_PACKAGES) and n != "certsvc") == [
        "certsvc.store",
        "certsvc.store.db",
    ]


def test_roles_are_told_apart() -> None:
    assert role_of(ROOT / "issuers" / "views_embassy.py") != role_of(ROOT / "issuers" / "views_provider.py")
    assert role_of(ROOT / "issuers" / "views_imports.py") == role_of(ROOT / "issuers" / "views_provider.py")
    assert role_of(ROOT / "certsvc" / "wallet" / "views.py") != role_of(ROOT / "issuers" / "views_provider.py")
    assert role_of(ROOT / "verifier" / "web.py") == role_of(ROOT / "verifier" / "api.py")

"""Dependency direction: the core and the verifier use no web framework or database, nor issuers/."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = tuple(
    f"certsvc/{name}.py"
    for name in (
        "b64",
        "keys",
        "jws",
        "credential",
        "cosigned",
        "json_skeleton",
        "qr_dictionary",
        "qr_transport",
        "qr_image",
        "statuslist",
        "trustlist",
        "errors",
        "demo_world",
    )
)
WEB_AND_DATABASE = frozenset({"flask", "flask_wtf", "werkzeug", "sqlalchemy", "alembic", "psycopg"})
ASSEMBLY = frozenset({"certsvc.models", "certsvc.db", "certsvc.app"})
#: verifier/ files that may serve the web page or API (and so may import Flask): the page, the API,
#: and what only they use (the cached documents built from the database, rate limits, counting).
WEB_PREFIXES = ("web", "views", "api", "documents", "limits", "counting")


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
        names = set(imported_modules(path.read_text(), module, path.name == "__init__.py"))
        names |= {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
        for name in names:
            found = source_path(name) if name.split(".")[0] in ("certsvc", "verifier") else None
            if found is not None:
                pending.append(found)
    return sorted(seen)


def is_web_file(path: Path) -> bool:
    return path.name.startswith(WEB_PREFIXES)


def verifier_files() -> list[Path]:
    return sorted((ROOT / "verifier").rglob("*.py"))


def core_closure() -> list[Path]:
    """The core, the verifier (but its web files) and all they import."""
    roots = [ROOT / p for p in CORE] + [p for p in verifier_files() if not is_web_file(p)]
    return with_dependencies(roots)


def check(paths: list[Path], banned: frozenset[str]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        bad = violations(path.read_text(), module_name(path), banned, path.name == "__init__.py")
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


# --- the project ------------------------------------------------------------------------------


def test_core_files_exist() -> None:
    missing = [p for p in CORE if not (ROOT / p).is_file()]
    assert not missing, "update CORE in this test when a core module moves"


def test_core_and_verifier_use_no_web_framework_or_database() -> None:
    closure = core_closure()
    assert ROOT / "verifier" / "pipeline.py" in closure
    assert ROOT / "certsvc" / "__init__.py" in closure
    assert check(closure, WEB_AND_DATABASE) == {}


def test_core_and_verifier_do_not_import_the_assembly() -> None:
    assert check(core_closure(), ASSEMBLY) == {}


def test_verifier_never_imports_issuers() -> None:
    # Every verifier file, web ones too, directly; the pipeline's side also through what it imports.
    assert check(verifier_files(), frozenset({"issuers"})) == {}
    assert check(core_closure(), frozenset({"issuers"})) == {}


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
        ("from certsvc.jws import parse_compact", []),
    ],
)
def test_checker_finds_web_and_database_imports(source: str, expected: list[str]) -> None:
    assert violations(source, "certsvc.example", WEB_AND_DATABASE) == expected


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        ("from certsvc import models", "certsvc.example", ["certsvc.models"]),
        (
            "from certsvc.models.credentials import Credential",
            "certsvc.example",
            ["certsvc.models.credentials", "certsvc.models.credentials.Credential"],
        ),
        ("import certsvc.db", "certsvc.example", ["certsvc.db"]),
        ("from . import app", "certsvc.example", ["certsvc.app"]),
        ("from .db import session", "certsvc.example", ["certsvc.db", "certsvc.db.session"]),
        ("from .models import Credential", "certsvc", ["certsvc.models", "certsvc.models.Credential"]),
        ("from certsvc.modelsx import y\nfrom certsvc import jws", "certsvc.example", []),
        ("from certsvc.app_helpers import y", "certsvc.example", []),
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


def test_checker_flags_a_core_file_that_gains_an_import(tmp_path: Path) -> None:
    """The whole check, run on a copy of a core module with a Flask import added, fails."""
    original = (ROOT / "certsvc" / "jws.py").read_text()
    assert violations(original, "certsvc.jws", WEB_AND_DATABASE) == []
    tampered = original.replace("import json\n", "import json\nfrom flask import request\n", 1)
    assert violations(tampered, "certsvc.jws", WEB_AND_DATABASE) == ["flask", "flask.request"]


def test_web_files_are_exempt_only_by_name() -> None:
    assert is_web_file(ROOT / "verifier" / "web.py")
    assert is_web_file(ROOT / "verifier" / "views_public.py")
    assert is_web_file(ROOT / "verifier" / "api.py")
    assert not is_web_file(ROOT / "verifier" / "pipeline.py")
    assert not is_web_file(ROOT / "verifier" / "offline_web.py")

"""Issue 15's structural rules, kept by a test so that they stay true: small modules, tests that
import helpers rather than conftest or edit sys.path, and no lower layer reaching up into flows/
(import-linter checks the whole contract in `make lint`; this repeats the one rule that matters most
so that it also fails under plain pytest)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("flows", "ingest", "qa", "storage")
MAX_LINES = 350


def _modules(*packages: str):
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_module_over_350_lines():
    long = {str(p.relative_to(ROOT)): n for p in _modules(*PACKAGES)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


def test_no_lower_layer_imports_flows():
    offenders = []
    for path in _modules("ingest", "qa", "storage"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n == "flows" or n.startswith("flows.")]
    assert not offenders, offenders


def test_tests_neither_import_conftest_nor_edit_sys_path():
    offenders = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        if path.name == Path(__file__).name:
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.name}: {what}" for what in ("tests.conftest", "sys.path") if what in text]
    assert not offenders, offenders

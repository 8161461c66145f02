"""The layering rules of design.md, checked on every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "gui" / "contactdesk"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: use absolute imports (contactdesk.x), not relative")
    return out


def _modules() -> list[tuple[str, set[str]]]:
    return [(str(p.relative_to(PKG)), _imports(p)) for p in sorted(PKG.rglob("*.py"))]


def _layer(rel: str) -> str:
    return rel.split("/", maxsplit=1)[0] if "/" in rel else rel.removesuffix(".py")


def _ours(mod: str) -> str | None:
    if mod == "contactdesk" or not mod.startswith("contactdesk."):
        return None
    return mod.split(".")[1]


def _violations() -> list[str]:
    bad: list[str] = []
    for rel, imports in _modules():
        layer = _layer(rel)
        for mod in imports:
            ours = _ours(mod)
            top = mod.split(".")[0]
            if top == "keyring" and rel != "secrets.py":
                bad.append(f"{rel}: only secrets.py may import keyring")
            if layer == "core" and ours not in (None, "core"):
                bad.append(f"{rel}: core imports nothing of ours ({mod})")
            if layer == "core" and top in {"PySide6", "requests", "sqlite3", "qasync", "werkzeug"}:
                bad.append(f"{rel}: core stays pure ({mod})")
            if layer == "providers" and ours not in (None, "core", "providers"):
                bad.append(f"{rel}: providers import core only ({mod})")
            if layer in {"providers", "store", "sync", "sandbox", "core"} and top in {
                "PySide6",
                "qasync",
            }:
                bad.append(f"{rel}: {layer} never imports Qt ({mod})")
            if layer == "ui" and (ours in {"providers", "sandbox"} or top == "requests"):
                bad.append(f"{rel}: ui goes through the worker bridge, not {mod}")
            if layer == "sandbox" and ours not in (None, "sandbox"):
                bad.append(f"{rel}: the simulators stand alone ({mod})")
            if layer == "store" and ours not in (None, "core", "store", "paths"):
                bad.append(f"{rel}: store imports core only ({mod})")
    return bad


def test_package_has_modules() -> None:
    assert len(_modules()) > 5


def test_layering_rules_hold() -> None:
    assert _violations() == []


def test_rule_checker_catches_a_violation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker must be able to fail: a core module importing Qt is reported."""
    fake = tmp_path / "contactdesk"
    (fake / "core").mkdir(parents=True)
    (fake / "core" / "bad.py").write_text("from PySide6.QtCore import QObject\nimport keyring\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["PKG"]), "PKG", fake)
    found = _violations()
    assert any("core never imports Qt" in v or "core stays pure" in v for v in found)
    assert any("only secrets.py may import keyring" in v for v in found)

"""The shape the architecture promises (docs/architecture.md): transports → router → domain →
store. Checked on the source, so a shortcut fails here before it spreads."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ("governance", "intake", "retrieval", "scheduler", "store", "prompts")
OURS = (*DOMAIN, "bot")
SLACK_HANDLERS = ROOT / "bot" / "slack"
MAX_HANDLER_LINES = 120


def modules(*packages: str) -> Iterator[Path]:
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def imported(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every module an import names, at any depth (imports inside functions included)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


@pytest.mark.parametrize("package", DOMAIN)
def test_the_domain_never_imports_a_transport(package: str) -> None:
    offenders = [
        f"{where(path, line)} imports {name}"
        for path in modules(package)
        for line, name in imported(ast.parse(path.read_text()))
        if name == "bot" or name.startswith("bot.")
    ]
    assert offenders == []


def test_no_import_error_fallbacks_between_our_own_packages() -> None:
    """An `except ImportError` around one of our own packages hides a broken install."""
    offenders = []
    for path in modules(*OURS):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Try):
                continue
            catches = {
                ast.unparse(handler.type) for handler in node.handlers if handler.type is not None
            }
            if not catches & {"ImportError", "ModuleNotFoundError"}:
                continue
            names = [name for _, name in imported(ast.Module(body=node.body, type_ignores=[]))]
            if any(name.split(".")[0] in OURS for name in names):
                offenders.append(where(path, node.lineno))
    assert offenders == []


def test_no_block_kit_in_the_domain() -> None:
    """The domain says what happened; bot/slack says it in Slack."""
    markers = ('"type": "section"', '"type": "actions"', '"type": "button"', '"mrkdwn"')
    offenders = [
        f"{path.relative_to(ROOT)}: {marker}"
        for path in modules("governance", "intake", "retrieval", "scheduler", "store")
        for marker in markers
        if marker in path.read_text()
    ]
    assert offenders == []


def test_slack_handler_modules_stay_small() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for path in modules("bot/slack")
    }
    handlers = {name: size for name, size in sizes.items() if "handlers" in name}
    handlers |= {
        name: sizes[name]
        for name in sizes
        if name.endswith(("approvals.py", "reviews.py", "incidents.py"))
    }
    assert {name: size for name, size in handlers.items() if size > MAX_HANDLER_LINES} == {}


def test_the_application_context_carries_no_untyped_service_bag() -> None:
    offenders = [
        where(path, node.lineno)
        for path in modules(*OURS)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.AnnAssign)
        and "dict[str, Any]" in ast.unparse(node.annotation)
        and isinstance(node.target, ast.Name)
        and node.target.id in {"extras", "services", "registry"}
    ]
    assert offenders == []

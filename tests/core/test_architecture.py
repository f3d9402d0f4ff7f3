"""The shape of the code (docs/architecture.md): apps depend one way, core ← partners ←
agreements ← commissioner; nothing imports upward, lazily or not; no app imports the `collabhub`
wiring; selectors never import services; no app module grows past 800 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLOORS = {"core": 0, "partners": 1, "agreements": 2, "commissioner": 3}
MAX_LINES = 800
MAX_WIRING_LINES = 900


def _python_files(app: str):
    return sorted(path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts)


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, at any depth (inside functions and TYPE_CHECKING blocks too),
    relative imports resolved against the file's package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # `from app import services`: the names may be modules of their own.
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _violations(rule) -> list[str]:
    problems = []
    for app in FLOORS:
        for path in _python_files(app):
            for line, module in _imported_modules(path):
                problem = rule(app, path, module)
                if problem:
                    problems.append(f"{path.relative_to(ROOT)}:{line} {problem}")
    return sorted(set(problems))


def test_no_app_imports_an_app_above_it():
    def upward(app, path, module):
        top = module.split(".")[0]
        if top in FLOORS and FLOORS[top] > FLOORS[app]:
            return f"imports {module} ({top} is above {app})"
        return None

    assert _violations(upward) == []


def test_no_app_imports_the_project_wiring():
    def wiring(app, path, module):
        return f"imports {module}" if module.split(".")[0] == "collabhub" else None

    assert _violations(wiring) == []


def test_selectors_never_import_services():
    def selector_to_service(app, path, module):
        is_selector = path.stem == "selectors" or "selectors" in path.parts
        if is_selector and "services" in module.split("."):
            return f"a selector imports {module}"
        return None

    assert _violations(selector_to_service) == []


def test_the_rule_sees_lazy_and_relative_imports(tmp_path, monkeypatch):
    """The walker itself: an import inside a function, and a relative one, are both seen."""
    module = ROOT / "core" / "_architecture_probe.py"
    module.write_text("def late():\n    from agreements.models import Collaboration\n")
    try:
        modules = [name for _line, name in _imported_modules(module)]
    finally:
        module.unlink()
    assert "agreements.models" in modules
    relative = _imported_modules(ROOT / "core" / "integrity.py")
    assert ("core.errors" in {name for _line, name in relative}) or not any(
        "from .errors" in line for line in (ROOT / "core" / "integrity.py").read_text().splitlines()
    )


@pytest.mark.parametrize("app", [*FLOORS, "benchmarks"])
def test_no_module_is_a_big_room(app):
    big = {
        str(path.relative_to(ROOT)): lines
        for path in _python_files(app)
        if path.name != "demo.py" and (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert big == {}


def test_the_wiring_stays_small():
    lines = sum(len(path.read_text().splitlines()) for path in (ROOT / "collabhub").rglob("*.py"))
    assert lines <= MAX_WIRING_LINES

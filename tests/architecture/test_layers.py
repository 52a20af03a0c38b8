"""The architecture of docs/architecture.md, read from the source with `ast` (nothing is imported).

- `core` is pure: it imports nothing from `proxy` or `handlers`, no AWS SDK, no HTTP or socket
  library, no logging, and never reads the environment.
- `handlers` holds entry points only: imports and one `lambda_handler`, each named by a `Handler:`
  line of template.yaml.
- An adapter (`proxy/adapters/`) imports only `core`: it never reaches back into the pipeline.
- No module imports itself back through others (no import cycles), lazy imports included.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
TEMPLATE = SRC.parent / "template.yaml"
OUR_PACKAGES = ("core", "proxy", "handlers")
# What the pure core must never import (a prefix matches the package and its submodules).
CORE_FORBIDDEN = (
    "proxy",
    "handlers",
    "boto3",
    "botocore",
    "aws_lambda_powertools",
    "requests",
    "urllib3",
    "socket",
    "ssl",
    "http.client",
    "http.server",
    "urllib.request",
    "logging",
    "threading",
    "subprocess",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_modules() -> dict[str, ast.Module]:
    return {module_name(path): ast.parse(path.read_text(), str(path)) for path in sorted(SRC.rglob("*.py"))}


MODULES = source_modules()


def imported_names(module: str, tree: ast.Module) -> Iterator[str]:
    """Every module an import statement anywhere in the file names (inside functions and TYPE_CHECKING too)."""
    package = module if (SRC / module.replace(".", "/") / "__init__.py").exists() else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            yield base
            # `from proxy.adapters import dynamodb` imports the module proxy.adapters.dynamodb.
            yield from (f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)


def dependencies(module: str) -> set[str]:
    """The project's own modules this one imports."""
    return {name for name in imported_names(module, MODULES[module]) if name in MODULES and name != module}


def matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def in_package(package: str) -> list[str]:
    return [name for name in MODULES if matches(name, package)]


def test_the_source_tree_is_read() -> None:
    assert {"core.grants", "proxy.pipeline", "proxy.adapters.kick", "handlers.exchange"} <= set(MODULES)


@pytest.mark.parametrize("module", in_package("core"))
def test_core_imports_no_outside_world(module: str) -> None:
    imported = set(imported_names(module, MODULES[module]))
    assert [name for name in imported if any(matches(name, banned) for banned in CORE_FORBIDDEN)] == []


@pytest.mark.parametrize("module", in_package("core"))
def test_core_never_reads_the_environment(module: str) -> None:
    reads = [
        node.lineno
        for node in ast.walk(MODULES[module])
        if (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"))
        or (isinstance(node, ast.Name) and node.id in ("environ", "getenv"))
        or (isinstance(node, ast.alias) and node.name in ("environ", "getenv"))
    ]
    assert reads == []


def handler_modules() -> list[str]:
    return [name for name in in_package("handlers") if name != "handlers"]


@pytest.mark.parametrize("module", handler_modules())
def test_a_handler_module_holds_one_entry_point_and_nothing_else(module: str) -> None:
    body = MODULES[module].body
    docstring = [node for node in body[:1] if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)]
    imports = [node for node in body if isinstance(node, ast.Import | ast.ImportFrom)]
    # Imports may sit inside `with collector_paused():` (the cold-start import under a paused collector).
    withs = [node for node in body if isinstance(node, ast.With)]
    assert all(isinstance(inner, ast.Import | ast.ImportFrom) for node in withs for inner in node.body)
    assignments = [node for node in body if isinstance(node, ast.Assign)]
    assert [target.id for node in assignments for target in node.targets if isinstance(target, ast.Name)] == [
        "lambda_handler"
    ]
    assert len(docstring) + len(imports) + len(withs) + len(assignments) == len(body)


def test_every_handler_module_is_a_function_of_the_template_and_every_function_a_handler_module() -> None:
    named = set(re.findall(r"^\s+Handler:\s*(\S+)\.lambda_handler\s*$", TEMPLATE.read_text(), re.MULTILINE))
    assert named == set(handler_modules())


@pytest.mark.parametrize("module", in_package("proxy.adapters"))
def test_an_adapter_depends_on_core_only(module: str) -> None:
    assert {name for name in dependencies(module) if not matches(name, "core")} == set()


def test_nothing_below_handlers_imports_a_handler() -> None:
    importers = {
        module
        for module in MODULES
        if not matches(module, "handlers") and dependencies(module) & set(in_package("handlers"))
    }
    assert importers == set()


def import_cycles() -> list[list[str]]:
    """Every cycle in the import graph of our modules, each as the path that closes it."""
    cycles: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for imported in sorted(dependencies(module)):
            if state.get(imported) == "open":
                cycles.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                visit(imported, [*path, imported])
        state[module] = "done"

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [module])
    return cycles


def test_there_are_no_import_cycles() -> None:
    assert import_cycles() == []


def test_the_cycle_finder_finds_a_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: the old replay_store <-> replay_window cycle, planted in a copy, is found."""
    planted = dict(MODULES)
    planted["proxy.adapters.dynamodb"] = ast.parse("from proxy.replay_window import ReplayWindow")
    monkeypatch.setattr(sys.modules[__name__], "MODULES", planted)

    assert [set(cycle) for cycle in import_cycles()] == [{"proxy.adapters.dynamodb", "proxy.replay_window"}]

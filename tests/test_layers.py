"""The backend's shape, enforced: data flows content → model → release → served, the CLI on top.

    cli  →  web  →  releases, checks  →  build  →  content, i18n  →  errors, config, _files, policy

Every import is walked, those inside functions too: an import of a higher layer, or a cycle
between modules, fails here. So do modules over 400 lines and functions over 80 lines, unless
the function's first line says why (a comment containing "long:").
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from .conftest import ROOT

BACKEND = ROOT / "backend"
LAYERS = [
    ["backend", "backend.errors", "backend.config", "backend._files", "backend.policy"],
    ["backend.content", "backend.i18n"],
    ["backend.build"],
    ["backend.releases", "backend.release_diff", "backend.checks"],
    ["backend.web"],
    ["backend.cli"],
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(BACKEND.rglob("*.py"))}


def layer_of(module: str) -> int:
    best = -1, -1  # (layer, length of the matching prefix)
    for n, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best[1]:
                best = n, len(name)
    assert best[0] >= 0, f"{module} belongs to no layer: add it to LAYERS"
    return best[0]


def imports(module: str, path: Path, known: set[str]) -> Iterator[tuple[str, int]]:
    """(imported backend module, line) for every import in the file, at any depth."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "backend":
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "backend":
                target = node.module
            else:
                continue
            for alias in node.names:
                yield (f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target), node.lineno


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: {t for t, _ in imports(m, p, set(mods))} - {m} for m, p in mods.items()}


def test_no_module_imports_a_higher_layer() -> None:
    mods = modules()
    upward = []
    for module, path in mods.items():
        for target, line in imports(module, path, set(mods)):
            if layer_of(target) > layer_of(module):
                upward.append(f"{path.relative_to(ROOT)}:{line}: {module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})")
    assert not upward, "\n".join(upward)


def test_no_import_cycles() -> None:
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_the_walk_sees_imports_inside_functions(tmp_path: Path) -> None:
    path = tmp_path / "probe.py"
    path.write_text("def f():\n    from backend.cli import main\n    return main\n")
    assert ("backend.cli", 2) in list(imports("backend.content.probe", path, set()))


def test_nothing_imports_the_cli() -> None:
    importers = [m for m, targets in graph().items() if "backend.cli" in targets]
    assert not importers, importers


def test_modules_and_functions_are_of_modest_size() -> None:
    too_long = []
    for module, path in modules().items():
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > 400:
            too_long.append(f"{path.relative_to(ROOT)}: {len(lines)} lines (at most 400)")
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                size = node.end_lineno - node.lineno + 1
                if size > 80 and "long:" not in lines[node.lineno - 1]:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.lineno}: {module}.{node.name} is {size} lines (at most 80)")
    assert not too_long, "\n".join(too_long)

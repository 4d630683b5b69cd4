"""The package's layering, as ARCHITECTURE.md states it: imports only point down, no cycles."""

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def layers_of(text: str) -> dict[str, int]:
    """`{unit: level}` from ARCHITECTURE.md's table of layers: rows `| level | `a`, `b` | ...`."""
    levels = {}
    for level, units in re.findall(r"^\| (\d+) \| ([^|]+) \|", text, flags=re.M):
        for unit in re.findall(r"`([a-z_]+)`", units):
            levels[unit] = int(level)
    return levels


def imports_of(root: pathlib.Path) -> dict[str, set[str]]:
    """`{module: the keras_nas modules it imports}` for every module under `root/keras_nas`,
    lazy imports in functions included, imports under `if TYPE_CHECKING:` (annotations
    only) left out."""
    paths = list((root / "keras_nas").rglob("*.py"))
    modules = {_module_name(path, root) for path in paths}
    imports = {}
    for path in paths:
        name = _module_name(path, root)
        # A module's own packages are always imported before it: no edge of the graph.
        ancestors = {".".join(name.split(".")[:end]) for end in range(1, name.count(".") + 1)}
        imports[name] = (_imports(path, root, modules) & modules) - ancestors - {name}
    return imports


def upward_imports(imports: dict[str, set[str]], layers: dict[str, int]) -> list[str]:
    """The imports of a module from a part of the package on its own layer or above."""
    return [
        f"{module} -> {target}"
        for module, targets in sorted(imports.items())
        for target in sorted(targets)
        if module != "keras_nas"
        and _unit(target) != _unit(module)
        and layers[_unit(target)] >= layers[_unit(module)]
    ]


def import_cycles(imports: dict[str, set[str]]) -> list[str]:
    """Every cycle that a depth-first walk of the import graph meets, as `a -> b -> a`."""
    cycles, done = [], set()

    def visit(module, path):
        for target in sorted(imports.get(module, ())):
            if target in path:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in done:
                visit(target, [*path, target])
        done.add(module)

    for module in sorted(imports):
        if module not in done:
            visit(module, [module])
    return cycles


def _module_name(path: pathlib.Path, root: pathlib.Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: pathlib.Path, root: pathlib.Path, modules: set[str]) -> set[str]:
    tree = ast.parse(path.read_text())
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    package = _module_name(path if path.name == "__init__.py" else path.parent, root)
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                module = ".".join([*parts, node.module] if node.module else parts)
            else:
                module = node.module or ""
            # `from keras_nas import report` imports the module `keras_nas.report`; `from
            # keras_nas.oracles import NASOracle` the package `keras_nas.oracles`.
            submodules = {f"{module}.{alias.name}" for alias in node.names} & modules
            found.update(submodules or {module})
    return found - {"keras_nas"}


def _unit(module: str) -> str:
    """The part of the package a module belongs to: `keras_nas.oracles.base` -> `oracles`."""
    return module.split(".")[1]


IMPORTS = imports_of(ROOT)
LAYERS = layers_of((ROOT / "ARCHITECTURE.md").read_text())


def test_every_part_of_the_package_has_a_layer_in_architecture_md():
    units = {_unit(module) for module in IMPORTS if module != "keras_nas"}
    assert sorted(units - set(LAYERS)) == []


def test_imports_only_point_down():
    assert upward_imports(IMPORTS, LAYERS) == []


def test_no_import_cycle_between_modules():
    assert import_cycles(IMPORTS) == []


def test_the_check_finds_a_cycle():
    imports = {"keras_nas.a": {"keras_nas.b"}, "keras_nas.b": {"keras_nas.a"}}
    assert import_cycles(imports) == ["keras_nas.a -> keras_nas.b -> keras_nas.a"]


@pytest.mark.parametrize(
    "source, found",
    [
        ("from keras_nas.tuners import NASTuner\n", ["keras_nas.files -> keras_nas.tuners"]),
        ("def f():\n    from keras_nas import tuners\n", ["keras_nas.files -> keras_nas.tuners"]),
        ("if TYPE_CHECKING:\n    from keras_nas.tuners import NASTuner\n", []),
    ],
)
def test_the_check_finds_an_upward_import_even_a_lazy_one(tmp_path, source, found):
    package = tmp_path / "keras_nas"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tuners.py").write_text("")
    (package / "files.py").write_text(source)
    assert upward_imports(imports_of(tmp_path), {"files": 0, "tuners": 5}) == found


def test_a_module_over_400_lines_says_at_its_top_why_it_is_one():
    unexplained = []
    for path in sorted((ROOT / "keras_nas").rglob("*.py")):
        text = path.read_text()
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if text.count("\n") > 400 and "Size:" not in docstring:
            unexplained.append(str(path.relative_to(ROOT)))
    assert unexplained == []

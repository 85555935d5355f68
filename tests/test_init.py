"""npc's public names: one table in npc/__init__.py, every module's ``__all__`` real, and
experiments/ using only the public API."""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import npc

MODULES = sorted(info.name for info in pkgutil.iter_modules(npc.__path__, "npc."))
EXPERIMENTS = sorted((Path(__file__).parent.parent / "experiments").glob("*.py"))


def test_all_is_the_lazy_table():
    assert npc.__all__ == list(npc._LAZY)
    assert len(set(npc.__all__)) == len(npc.__all__)
    assert set(npc.__all__) <= set(dir(npc))


@pytest.mark.parametrize("name", npc.__all__)
def test_every_public_name_comes_from_its_modules_all(name):
    module = importlib.import_module(npc._LAZY[name])
    assert getattr(npc, name) is getattr(module, name)
    assert name in module.__all__


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        npc.nothing_here  # noqa: B018


@pytest.mark.parametrize("name", MODULES)
def test_every_module_lists_names_it_has(name):
    module = importlib.import_module(name)
    if name.startswith("npc._") and not hasattr(module, "__all__"):
        pytest.skip(f"{name} is private and has no __all__")
    assert isinstance(module.__all__, list)
    assert [item for item in module.__all__ if not hasattr(module, item)] == []


def _npc_imports(path: Path):
    """``(module, name)`` of every ``from npc... import name`` and ``npc.module.name`` in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "npc":
            yield from ((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and \
                isinstance(node.value.value, ast.Name) and node.value.value.id == "npc":
            yield f"npc.{node.value.attr}", node.attr


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda path: path.name)
def test_experiments_use_only_the_public_api(path):
    private = [f"{module}.{name}" for module, name in _npc_imports(path)
               if module.startswith("npc._") or name not in importlib.import_module(module).__all__]
    assert private == []

"""The import layers: models ← search (the core) ← indexer ← search_app (web). Nothing imports upward."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LAYERS = ["models", "search", "indexer", "search_app"]  # bottom to top


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", LAYERS)
def test_no_module_imports_a_layer_above_its_own(layer):
    above = set(LAYERS[LAYERS.index(layer) + 1:])
    offenders = {str(p.relative_to(REPO)): sorted(imported_packages(p) & above)
                 for p in (REPO / layer).rglob("*.py") if imported_packages(p) & above}
    assert not offenders


def test_importing_the_core_and_the_indexer_loads_no_flask():
    code = ("import sys, search.engine, search.holder, search.keyword.es, indexer.build, indexer.__main__; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug', 'search_app')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

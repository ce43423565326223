"""Every model, gathered here so that metadata, migrations and screens see each table.

Each module of this package holds one area's records (``people``, ``meetings``,
``plans``…). The loop below imports them all and re-exports what each one defines
at its top level (classes, tables, constants, functions), so a model added to an
area module, or a new area module, needs no edit here: ``from app.models import
Partner`` works and the migrations see its table.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

__all__: list[str] = []


def _top_level_names(path: Path) -> list[str]:
    """Names a module defines itself (not those it imports), in source order."""
    names = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [n for n in names if not n.startswith("_")]


for _info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    for _name in _top_level_names(Path(_module.__file__)):
        if _name not in __all__:
            globals()[_name] = getattr(_module, _name)
            __all__.append(_name)
__all__.sort()

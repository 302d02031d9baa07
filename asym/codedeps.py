"""Which package files a module runs: itself plus every ``asym`` module it imports, transitively.

    from asym.codedeps import module_files
    module_files("asym.optimize.train_sr")   # [".../asym/optimize/train_sr.py", ".../asym/checkpoint.py", ...]

The workflow lists these files as a rule's inputs, so editing a module reruns exactly
the rules that execute it (a figure module: that figure and the report; never
training). Imports are read from the source with :mod:`ast`, nothing is imported.
"""

from __future__ import annotations

import ast
import hashlib
from functools import cache
from pathlib import Path

PACKAGE = "asym"
ROOT = Path(__file__).resolve().parent


def _file(module: str, root: Path = ROOT) -> Path | None:
    parts = module.split(".")[1:]
    if not parts:
        return root / "__init__.py"
    rel = Path(*parts)
    for candidate in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def _direct_imports(module: str, root: Path = ROOT) -> tuple[str, ...]:
    path = _file(module, root)
    if path is None:
        return ()
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif (isinstance(node, ast.ImportFrom) and node.module and node.level == 0
              and node.module.split(".")[0] == PACKAGE):
            found.add(node.module)
            # "from asym.report.figures import style" imports the submodule asym.report.figures.style
            found.update(f"{node.module}.{a.name}" for a in node.names
                         if _file(f"{node.module}.{a.name}", root))
    return tuple(sorted(m for m in found if _file(m, root)))


def module_files(*modules: str, root: str | Path | None = None) -> list[str]:
    """Absolute paths of ``modules`` and of every package module they import.

    ``root`` is the package folder to read (default: this installed package); the
    workflow passes the ``asym/`` beside its Snakefile.
    """
    root = ROOT if root is None else Path(root).resolve()
    seen, stack = set(), [m if m.startswith(PACKAGE + ".") else f"{PACKAGE}.{m}" for m in modules]
    while stack:
        module = stack.pop()
        if module in seen:
            continue
        if _file(module, root) is None:
            raise ValueError(f"no module {module} in {root}")
        seen.add(module)
        stack.extend(_direct_imports(module, root))
    # Package __init__ files hold only docstrings and the version string: editing them
    # should not retrain anything, so they are not listed.
    files = (_file(m, root) for m in seen)
    return sorted(str(f) for f in files if f.name != "__init__.py")


def code_digest(*modules: str, root: str | Path | None = None) -> str:
    """SHA-256 over the files :func:`module_files` lists (path relative to the package, then bytes).

    What a checkpoint records as "the code it ran": a job whose digest differs from its
    checkpoint's has other code (a loss, a network, this package's training loop) and must
    not continue the old weights. Relative paths keep it independent of where the checkout lives.
    """
    base = ROOT if root is None else Path(root).resolve()
    digest = hashlib.sha256()
    for name in module_files(*modules, root=base):
        path = Path(name)
        digest.update(path.relative_to(base).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()

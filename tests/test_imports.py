"""The allowed import graph between the package's subpackages (read from the sources, nothing imported).

Rule inputs follow imports (asym.codedeps), so the import graph decides what an edit
reruns. These tests hold it to the layout of DESIGN.md:

- shared building blocks (``asym.data``, ``asym.nets``, the top-level modules) import no
  stage, no speed kernel and no tooling;
- ``asym.accel`` (speed kernels) builds on ``asym.nets`` and the shared modules only;
- stages import earlier stages only (assess < optimize < transfer, judge < analysis < report),
  except the statistics core ``asym.analysis.stats`` (numpy/scipy only), which every stage may use;
- ``asym.tools`` (bench, plan, gpucheck) is imported by nothing outside it;
- a job module (one a workflow rule runs with ``python -m``) imports no other job module;
- the console command ``asym.cli`` dispatches to every stage and tool, and nothing imports it;
- ``asym.analysis`` and ``asym.report`` reach no torch import, directly or through the package.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from asym.codedeps import module_files

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "asym"
STAGE_ORDER = {"assess": 1, "optimize": 2, "transfer": 3, "judge": 3, "analysis": 4, "report": 5}
SHARED_CORE = {"asym.analysis.stats"}  # usable by every stage (no torch)
BUILDING_BLOCKS = {"data", "nets"}
CLI = "asym.cli"  # the console command: dispatches to stages and tools, imported by nothing


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@cache
def imports(module: str) -> frozenset[str]:
    """Package modules and top-level third-party names ``module`` imports (anywhere in its source)."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES)
    return frozenset(found)


def package_imports(module: str) -> set[str]:
    return {m for m in imports(module) if m in MODULES and m != module}


def group(module: str) -> str:
    """The subpackage (``nets``, ``assess``, ...) or ``shared`` for a top-level module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()) else "shared"


def _violations(rule) -> list[str]:
    return [f"{m} imports {i}" for m in MODULES if m != CLI for i in sorted(package_imports(m))
            if group(m) != group(i) and not rule(m, i)]


def test_nothing_imports_the_console_command():
    assert [m for m in MODULES if CLI in package_imports(m)] == []


def test_the_graph_reader_sees_imports():
    assert group("asym.nets.swinir") == "nets" and group("asym.config") == "shared"
    assert group("asym.report.figures.style") == "report"
    assert "asym.nets.backbones" in package_imports("asym.assess.fidelity")
    assert "torch" in imports("asym.nets.swinir")


def test_building_blocks_import_no_stage_kernel_or_tool():
    def allowed(m, i):
        return not (group(m) in BUILDING_BLOCKS | {"shared"}) or group(i) in BUILDING_BLOCKS | {"shared"}

    assert _violations(allowed) == []


def test_speed_kernels_build_on_nets_only():
    def allowed(m, i):
        return group(m) != "accel" or group(i) in {"nets", "shared"}

    assert _violations(allowed) == []


def test_stages_import_earlier_stages_only():
    def allowed(m, i):
        if group(m) not in STAGE_ORDER or group(i) not in STAGE_ORDER or i in SHARED_CORE:
            return True
        return STAGE_ORDER[group(i)] < STAGE_ORDER[group(m)]

    assert _violations(allowed) == []


def test_tools_are_imported_by_nothing_outside_tools():
    assert _violations(lambda m, i: group(i) != "tools") == []


def _job_modules() -> set[str]:
    """Stage modules the workflow runs with ``python -m`` (figure modules via the figures prefix)."""
    text = "\n".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    jobs = set()
    for name in re.findall(r"-m asym\.([A-Za-z0-9_.]+)", text):
        if name.endswith("."):  # "-m asym.report.figures.{name}": every figure module with a command line
            jobs |= {m for m, p in MODULES.items() if m.startswith(f"asym.{name}")
                     and "__main__" in p.read_text()}
        else:
            jobs.add(f"asym.{name}")
    return {j for j in jobs if j in MODULES and group(j) in STAGE_ORDER}


def test_job_modules_import_no_other_job_module():
    jobs = _job_modules()
    assert {"asym.optimize.train_sr", "asym.optimize.evaluate", "asym.transfer.train_iqa"} <= jobs
    found = []
    for job in sorted(jobs):
        files = {Path(f) for f in module_files(job)}
        found += [f"{job} runs {other}" for other in sorted(jobs - {job}) if MODULES[other] in files]
    assert found == []


@pytest.mark.parametrize("stage", ["analysis", "report"])
def test_analysis_and_report_reach_no_torch(stage):
    reached = []
    for module in (m for m in MODULES if group(m) == stage):
        for path in map(Path, module_files(module)):
            name = _module_name(path)
            if any(i.split(".")[0] == "torch" for i in imports(name)):
                reached.append(f"{module} -> {name}")
    assert reached == []

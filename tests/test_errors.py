"""The entry-point wrapper: one line per package error, a distinct exit code per type,
the traceback only on request; and every ``python -m asym.X`` main runs under it.

    python -m pytest -q tests/test_errors.py
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from asym import errors

PACKAGE = Path(errors.__file__).resolve().parent


def _error_types():
    return [t for t in vars(errors).values() if isinstance(t, type) and issubclass(t, errors.AsymError)]


def test_every_error_type_has_its_own_exit_code():
    codes = {t.__name__: t.exit_code for t in _error_types() if t is not errors.AsymError}
    assert len(set(codes.values())) == len(codes), codes
    assert all(c not in (0, 1, 2, 143) for c in codes.values())  # success, bugs, argparse, pre-emption


def test_the_package_raises_these_types():
    from asym.checkpoint import CheckpointError
    from asym.config import ConfigError
    from asym.data.fetch import FetchError
    from asym.io import InputError
    from asym.nets.backbones import WeightsMissingError
    from asym.nets.generators import OfficialWeightsError

    assert (ConfigError, InputError, FetchError, CheckpointError, WeightsMissingError, OfficialWeightsError) == (
        errors.ConfigError, errors.InputError, errors.FetchError, errors.CheckpointError,
        errors.WeightsMissingError, errors.OfficialWeightsError)
    assert issubclass(errors.ConfigError, ValueError) and issubclass(errors.WeightsMissingError, FileNotFoundError)


def _failing(exc):
    def main(argv):
        raise exc
    main.__module__ = "asym.some.stage"
    return main


def test_run_prints_one_line_and_exits_with_the_type_code(capsys, monkeypatch):
    monkeypatch.delenv("ASYM_DEBUG", raising=False)
    with pytest.raises(SystemExit) as info:
        errors.run(_failing(errors.ConfigError("invalid configuration in a.yaml:\n  - optimize.steps: -5 is\n"
                                               "  - data: missing")), [], prog="asym.some.stage")
    assert info.value.code == errors.ConfigError.exit_code
    err = capsys.readouterr().err
    assert err == ("asym.some.stage: ConfigError: invalid configuration in a.yaml: optimize.steps: -5 is; "
                   "data: missing\n")


@pytest.mark.parametrize("how", ["flag", "env"])
def test_debug_reraises_with_the_traceback(how, monkeypatch):
    monkeypatch.delenv("ASYM_DEBUG", raising=False)
    argv = []
    if how == "flag":
        argv = ["--debug"]
    else:
        monkeypatch.setenv("ASYM_DEBUG", "1")
    seen = []

    def main(argv):
        seen.append(argv)
        raise errors.InputError("bad file x.csv")

    with pytest.raises(errors.InputError, match="x.csv"):
        errors.run(main, argv)
    assert seen == [[]]  # --debug is not passed on to the module's own parser


def test_other_exceptions_keep_their_traceback(monkeypatch):
    monkeypatch.delenv("ASYM_DEBUG", raising=False)
    with pytest.raises(ZeroDivisionError):
        errors.run(_failing(ZeroDivisionError("a bug")), [])


def test_the_line_names_the_module_as_python_m_runs_it(capsys, monkeypatch):
    monkeypatch.delenv("ASYM_DEBUG", raising=False)
    from asym.assess import correlate

    with pytest.raises(SystemExit):
        errors.run(correlate.main, ["--scores", "absent.csv", "--metric-info", "{}", "--out", "x.csv"])
    assert capsys.readouterr().err.startswith("asym.assess.correlate: InputError: table not found: absent.csv")


def test_return_value_is_the_exit_status():
    with pytest.raises(SystemExit) as info:
        errors.run(lambda argv: 4, [])
    assert info.value.code == 4


def _main_blocks():
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
                    and getattr(node.test.left, "id", None) == "__name__"):
                yield path, tree, node


def test_every_module_main_runs_under_the_wrapper_without_shadowing_its_globals():
    blocks = list(_main_blocks())
    assert len(blocks) >= 25
    for path, tree, block in blocks:
        source = ast.unparse(block)
        # asym.errors.run(main), or a name imported from asym.errors (cli.py: run_entry_point)
        assert "asym.errors" in source or "run_entry_point(" in source, f"{path}: main() runs without the wrapper"
        top = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        top |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        bound = {(a.asname or a.name).split(".")[0] for n in ast.walk(block)
                 if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        assert not bound & top, f"{path}: the __main__ block rebinds {bound & top}"

"""Rule code inputs: each module's transitive package imports, and nothing more."""

from __future__ import annotations

import pytest

from asym.codedeps import module_files


def _names(module):
    return {p.split("/asym/", 1)[1] for p in module_files(module)}


def test_training_depends_on_its_networks_and_loss_but_not_on_analysis():
    deps = _names("optimize.train_sr")
    assert {"optimize/train_sr.py", "nets/swinir.py", "nets/discriminators.py", "assess/fidelity.py", "checkpoint.py"} <= deps
    assert not deps & {"analysis/stats.py", "analysis/claims.py", "report/html.py", "config.py"}
    assert not any(d.startswith("report/") for d in deps)


def test_a_figure_depends_on_itself_and_the_style_only():
    deps = _names("report.figures.training")
    assert {"report/figures/training.py", "report/figures/style.py"} <= deps
    assert not deps & {"optimize/train_sr.py", "assess/fidelity.py", "assess/score.py"}
    assert "report/figures/assessment.py" not in deps


def test_scoring_does_not_depend_on_statistics():
    assert "analysis/stats.py" not in _names("assess.score")
    assert "analysis/stats.py" in _names("assess.correlate")


def test_unknown_module_is_an_error():
    with pytest.raises(ValueError, match="no_such"):
        module_files("no_such")

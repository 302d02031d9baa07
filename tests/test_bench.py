"""The assessment benchmark runs end to end and prints its figures (no timing assertions)."""

from __future__ import annotations

from asym.bench import main


def test_bench_assess_prints_rates_ratio_and_agreement(capsys):
    main(["assess", "--batch-size", "1", "--size", "32", "--n-batches", "2", "--threads", "1"])
    lines = dict(line.split(": ", 1) for line in capsys.readouterr().out.strip().splitlines())
    for key in ("ours_images_per_s", "pyiqa_images_per_s", "ratio_ours_over_pyiqa", "max_abs_score_diff",
                "ours_images_per_cpu_s", "pyiqa_images_per_cpu_s", "cpu_ratio_ours_over_pyiqa"):
        assert float(lines[key]) >= 0
    assert float(lines["max_abs_score_diff"]) <= 1e-4
    assert lines["batch_size"] == "1" and lines["size"] == "32"

"""asym: reproduce and test "The Unanticipated Asymmetry Between Perceptual
Optimization and Assessment" (arXiv 2509.20878) as a Snakemake + DVC workflow.

Stages (data flows one way): data -> assess -> optimize -> transfer -> analyze -> report.
Run the demo with ``make demo``; the tests with ``make test``.
"""

__version__ = "0.1.0"

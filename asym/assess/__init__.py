"""Assessment stage (claims C1, C5): fidelity metrics scored on FR-IQA sets, correlations, DISTS-style alpha/beta fitting."""

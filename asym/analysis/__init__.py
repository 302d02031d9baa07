"""Analysis stage: one statistics core and the tests behind each claim (no torch)."""

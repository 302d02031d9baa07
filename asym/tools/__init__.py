"""Tooling outside what workflow jobs import: benchmarks, resource plans, GPU checks."""

"""Report stage: figures (one module each), LaTeX tables and macros, the HTML report (no torch)."""

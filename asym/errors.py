"""The package's own error types, their exit codes, and the wrapper every entry point runs under.

    from asym.errors import run
    if __name__ == "__main__":
        run(main)          # python -m asym.<module> ...

A user who gives the package a bad file, key or value should read one line that names
the culprit and the fix, not 30 lines of traceback above it; a workflow (Snakemake,
SLURM) should be able to tell the kinds of failure apart by exit status. So each error
type here carries its own ``exit_code``, and :func:`run` turns any of them into one
stderr line ``<program>: <Type>: <message>`` and that status. Everything else (a bug)
keeps Python's traceback. ``--debug`` on the command line (removed before the module's
own parser sees it) or ``ASYM_DEBUG=1`` re-raises, traceback included.

This module imports nothing heavy (no torch), so the analysis and report stages can use it.
"""

from __future__ import annotations

import os
import sys

DEBUG_FLAG = "--debug"
DEBUG_ENV = "ASYM_DEBUG"


class AsymError(Exception):
    """Base of the package's errors: the message names the culprit and says how to fix it."""

    exit_code = 1


class ConfigError(AsymError, ValueError):
    """A configuration that does not follow the schema or refers to undefined names."""

    exit_code = 3


class InputError(AsymError, RuntimeError):
    """Bad input (missing file, corrupt image, wrong layout): message says what and how to fix."""

    exit_code = 4


class FetchError(InputError):
    """A download or extraction that cannot be completed; nothing under the target was changed."""

    exit_code = 5


class CheckpointError(AsymError, RuntimeError):
    """A checkpoint that cannot be used: unreadable, foreign or of another run."""

    exit_code = 6


class WeightsMissingError(AsymError, FileNotFoundError):
    """Pretrained weights that must be present locally (the package never downloads at run time)."""

    exit_code = 7


class OfficialWeightsError(AsymError, ValueError):
    """A published generator checkpoint whose contents do not match the configured architecture."""

    exit_code = 8


def one_line(message: str) -> str:
    """``message`` on one line: line breaks (lists of problems) become '; ', runs of spaces one space."""
    parts = [" ".join(line.split()) for line in str(message).splitlines()]
    parts = [p.lstrip("- ").strip() if p.startswith("- ") else p for p in parts]
    return "; ".join(p for p in parts if p).replace(":;", ":")


def debug_requested(argv: list[str]) -> bool:
    return DEBUG_FLAG in argv or os.environ.get(DEBUG_ENV, "").strip() not in ("", "0", "false", "no")


def run(main, argv: list[str] | None = None, prog: str | None = None):
    """Call ``main(argv)`` and exit: its return value is the status; an :class:`AsymError` becomes one line.

    ``prog`` names the program in the message (default: the module that defines ``main``,
    as ``python -m`` runs it). Never returns.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = debug_requested(argv)
    argv = [a for a in argv if a != DEBUG_FLAG]
    if prog is None:  # under `python -m asym.x.y` main.__module__ is "__main__"; its spec keeps the real name
        spec = getattr(main, "__globals__", {}).get("__spec__")
        prog = spec.name if spec is not None else getattr(main, "__module__", "asym")
    try:
        status = main(argv)
    except AsymError as exc:
        if debug:
            raise
        print(f"{prog}: {type(exc).__name__}: {one_line(str(exc))}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    raise SystemExit(status)

"""Run the ``resandi`` command in this process, as a user would see it (exit code, stdout, stderr).

In-process: spawning a Python per call re-imports torch each time (2-9 s a call).
``tests/test_cli.py`` keeps one subprocess smoke test of the installed script.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from unittest import mock

from resandi_core.cli import main


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args, env: dict[str, str] | None = None) -> CliRun:
    """``resandi ARGS...`` in-process; argparse's usage errors give exit code 2, as from a shell."""
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, env or {}), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse: --help, usage errors
            code = exc.code if isinstance(exc.code, int) else 1
    return CliRun(code, out.getvalue(), err.getvalue())

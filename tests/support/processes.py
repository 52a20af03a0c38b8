"""Our own Python modules run as a user runs them: a fresh interpreter, the repository as working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_module(
    module: str,
    *arguments: str,
    drop: Iterable[str] = (),
    variables: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """`python -m module arguments` with this environment minus names starting with `drop`, plus `variables`."""
    prefixes = tuple(drop)
    env = {name: value for name, value in os.environ.items() if not (prefixes and name.startswith(prefixes))}
    env.update(variables or {})
    return subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", module, *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )

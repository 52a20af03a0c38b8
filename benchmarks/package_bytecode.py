"""What `make bytecode` saves a deployed cold start: importing the handler from the built package.

    make bench-package        # make build, then this
    python -m benchmarks.package_bytecode [--function-dir .aws-sam/build/ExchangeFunction] [--runs 15]

Lambda cannot write __pycache__ (/var/task is read-only), so a package without bytecode compiles every
module it imports at every cold start. Each round spawns the runtime's interpreter (python3.13) twice, in
alternating order, with PYTHONDONTWRITEBYTECODE=1 as in Lambda: once on the function directory as
`sam build` leaves it (no .pyc), once on a copy compiled by `make bytecode` itself. botocore stands in for the
runtime's SDK (which Lambda ships compiled), installed with that interpreter under .venv/runtime-sdk/.
The figure is the import of the handler module, timed inside the child; results go to runs.tmp/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from benchmarks.harness import REPO, RUNS_DIR, summary

CHILD = """
import time
started = time.perf_counter()
import handlers.exchange
print((time.perf_counter() - started) * 1000)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--function-dir", type=Path, default=REPO / ".aws-sam" / "build" / "ExchangeFunction")
    parser.add_argument("--runtime-python", default="python3.13")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--sdk", type=Path, help="a directory holding botocore for the runtime (default: installed)")
    parser.add_argument("--out-dir", type=Path, default=RUNS_DIR)
    args = parser.parse_args(argv)
    if not (args.function_dir / "handlers" / "exchange.py").is_file():
        print(f"{args.function_dir} holds no built function: run make build first", file=sys.stderr)
        return 2

    sdk = args.sdk or _runtime_sdk(args.runtime_python)
    with tempfile.TemporaryDirectory() as scratch:
        trees = {"as sam builds it": Path(scratch) / "plain", "with make bytecode": Path(scratch) / "compiled"}
        for tree in trees.values():
            shutil.copytree(args.function_dir, tree, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        compiled, runtime = trees["with make bytecode"], args.runtime_python
        subprocess.run(  # the target itself, so the figure is what make build ships
            ["make", "--no-print-directory", "bytecode", f"BUILD_DIR={compiled}", f"RUNTIME_PYTHON={runtime}"],
            cwd=REPO,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        pyc_files = {name: sum(1 for _ in tree.rglob("*.pyc")) for name, tree in trees.items()}
        times: dict[str, list[float]] = {name: [] for name in trees}
        names = list(trees)
        for index in range(args.runs + 1):  # the first round is unmeasured
            for name in names[index % 2 :] + names[: index % 2]:
                milliseconds = _import_ms(args.runtime_python, trees[name], sdk)
                if index:
                    times[name].append(milliseconds)

    version = subprocess.run(
        [args.runtime_python, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True
    ).stdout.strip()
    report = _report(times, version, args.runs, os.getloadavg())
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "package-bytecode.md").write_text(report)
    (args.out_dir / "package-bytecode.json").write_text(
        json.dumps({"python": version, "pyc_files": pyc_files, "import_ms": times}, indent=2)
    )
    print(report)
    print(f"written to {args.out_dir / 'package-bytecode.md'}")
    return 0


def _runtime_sdk(runtime_python: str) -> Path:
    """botocore at the dev environment's version, installed (and so compiled) by the runtime's interpreter."""
    version = metadata.version("botocore")
    target = REPO / ".venv" / "runtime-sdk" / f"botocore-{version}-{Path(runtime_python).name}"
    if not (target / "botocore").is_dir():
        subprocess.run(
            [runtime_python, "-m", "pip", "install", "--quiet", "--target", str(target), f"botocore=={version}"],
            check=True,
        )
    return target


def _import_ms(runtime_python: str, tree: Path, sdk: Path) -> float:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join([str(tree), str(sdk)]),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
    child = subprocess.run(
        [runtime_python, "-c", CHILD], env=environment, capture_output=True, text=True, check=True, timeout=60
    )
    return float(child.stdout.strip().splitlines()[-1])


def _report(times: dict[str, list[float]], version: str, runs: int, load: tuple[float, float, float]) -> str:
    date = datetime.now(UTC).isoformat(timespec="seconds")
    lines = [
        "# Importing the handler from the built package",
        "",
        f"{date} · Python {version} (the runtime) · {runs} rounds · load average at start"
        f" {[round(value, 2) for value in load]} · `python -m benchmarks.package_bytecode`",
        "",
        "| package | median | p90 |",
        "|---|---:|---:|",
    ]
    figures = {name: summary(values) for name, values in times.items()}
    for name, figure in figures.items():
        lines.append(f"| {name} | {figure['median']:.1f} ms | {figure['p90']:.1f} ms |")
    saved = figures["as sam builds it"]["median"] - figures["with make bytecode"]["median"]
    lines += ["", f"Bytecode saves {saved:.0f} ms of every cold start's import (medians)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())

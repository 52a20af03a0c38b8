"""`make build` ships bytecode the python3.13 runtime uses as is (Lambda cannot write __pycache__)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYENV_ROOT = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))


def _runtime_python() -> str | None:
    found = sorted(PYENV_ROOT.glob("versions/3.13*/bin/python3.13"))
    return str(found[-1]) if found else shutil.which("python3.13")


RUNTIME_PYTHON = _runtime_python()
needs_runtime = pytest.mark.skipif(RUNTIME_PYTHON is None, reason="no python3.13 (the Lambda runtime) here")


def _make(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (make, with our own arguments)
        ["make", "--no-print-directory", *arguments],  # noqa: S607
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@needs_runtime
def test_every_module_gets_bytecode_that_is_used_whatever_the_sources_date(tmp_path: Path) -> None:
    build = tmp_path / "build"
    (build / "ExchangeFunction" / "package").mkdir(parents=True)
    probe = build / "ExchangeFunction" / "package" / "probe.py"
    probe.write_text('WHERE = "bytecode"\n')
    (build / "ExchangeFunction" / "package" / "__init__.py").write_text("")

    made = _make("bytecode", f"BUILD_DIR={build}", f"RUNTIME_PYTHON={RUNTIME_PYTHON}")
    assert made.returncode == 0, made.stderr

    compiled = sorted(path.name for path in build.rglob("*.pyc"))
    assert compiled == ["__init__.cpython-313.pyc", "probe.cpython-313.pyc"]
    # As Lambda sees it: sources dated 1980 by sam's zip, and nowhere to write a fresh .pyc.
    probe.write_text('WHERE = "source"\n')
    for path in build.rglob("*.py"):
        os.utime(path, (315532800, 315532800))
    imported = subprocess.run(  # noqa: S603 (the runtime interpreter, our own one-liner)
        [RUNTIME_PYTHON, "-c", "import package.probe as probe; print(probe.WHERE)"],  # type: ignore[list-item]
        cwd=build / "ExchangeFunction",
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert imported.stdout.strip() == "bytecode"


def test_bytecode_refuses_an_interpreter_that_is_not_the_runtimes(tmp_path: Path) -> None:
    if sys.version_info[:2] == (3, 13):
        pytest.skip("this interpreter is the runtime's")
    made = _make("bytecode", f"BUILD_DIR={tmp_path}", f"RUNTIME_PYTHON={sys.executable}")

    assert made.returncode != 0
    assert "is not Python 3.13, the runtime" in made.stderr
    assert list(tmp_path.rglob("*.pyc")) == []


def test_make_build_compiles_what_sam_built() -> None:
    planned = _make("-n", "build", "SAM=sam")

    assert planned.returncode == 0, planned.stderr
    sam_build = planned.stdout.index("sam build --template template.yaml")
    compile_all = planned.stdout.index("-m compileall -q -j 0 --invalidation-mode unchecked-hash .aws-sam/build")
    assert sam_build < compile_all


def test_make_install_compiles_the_source_tree_for_the_venvs_interpreter() -> None:
    planned = _make("-n", "install")

    assert planned.returncode == 0, planned.stderr
    assert "/bin/python -m compileall -q src" in planned.stdout


def test_the_template_runtime_is_the_one_bytecode_is_made_for() -> None:
    template = (REPO / "template.yaml").read_text()
    assert "Runtime: python3.13" in template
    assert "sys.version_info[:2] == (3, 13)" in (REPO / "Makefile").read_text()

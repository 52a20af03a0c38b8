"""`make install` picks a Python 3.11 to 3.13 by itself, or stops at once with one line; .venv is never reused wrongly.

The interpreters here are shell scripts that answer tools/find-python's probe and tools/ensure-venv's
calls the way a real one would, so no test installs anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIND_PYTHON = ROOT / "tools" / "find-python"
ENSURE_VENV = ROOT / "tools" / "ensure-venv"
# What the Makefile and the two scripts run, besides the interpreter.
COMMANDS = (
    *("make", "sh", "bash", "sed", "grep", "ls", "sort", "cat", "head", "dirname", "basename", "cksum", "find"),
    *("rm", "mkdir", "awk", "chmod"),
)


def fake_python(path: Path, version: str, venv_module: bool = True) -> Path:
    """A script that answers like Python `version` ("3.10.12"): the probe, the version query, -m venv, pip."""
    minor = ".".join(version.split(".")[:2])
    tools = "venv" if venv_module else "novenv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""#!/bin/sh
case "$1 $2" in
  "-c "*ensurepip*) echo "{minor} {tools} $0" ;;
  "-c "*) echo "{version}" ;;
  "-m venv")
    mkdir -p "$3/bin"
    echo "$0" > "$3/made-by"
    printf '#!/bin/sh\\necho "$*" >> "%s/pip.log"\\n[ -z "$FAIL_PIP" ]\\n' "$3" > "$3/bin/python"
    chmod +x "$3/bin/python" ;;
  *) exit 64 ;;
esac
""",
        encoding="utf-8",
    )
    path.chmod(0o755)
    return path


@pytest.fixture
def bare_path(tmp_path: Path) -> Path:
    """A PATH directory with the system commands the scripts need and no Python at all."""
    directory = tmp_path / "bin"
    directory.mkdir()
    for command in COMMANDS:
        found = shutil.which(command)
        assert found, command
        (directory / command).symlink_to(found)
    return directory


def environment(tmp_path: Path, bare_path: Path, **extra: str) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"PATH": str(bare_path), "HOME": str(home), "PYENV_ROOT": str(home / ".pyenv"), "LC_ALL": "C", **extra}


def run(command: list[str], env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=30, check=False)  # noqa: S603


def test_a_too_old_python_stops_make_at_once_with_one_line_and_installs_nothing(
    tmp_path: Path, bare_path: Path, venv: Path
) -> None:
    old = fake_python(tmp_path / "py310" / "python3", "3.10.12")

    started = time.monotonic()
    finished = run(["make", "install", f"PYTHON={old}", f"VENV={venv}"], environment(tmp_path, bare_path))
    elapsed = time.monotonic() - started

    assert finished.returncode != 0
    assert not venv.exists()
    assert elapsed < 1.0
    errors = [line for line in finished.stderr.splitlines() if not line.startswith("make: ***")]
    assert len(errors) == 1, finished.stderr
    assert "is Python 3.10; kick-oauth-proxy needs Python 3.11 to 3.13: install one" in errors[0]
    assert "Traceback" not in finished.stderr


def test_with_only_a_too_old_python3_on_path_make_says_what_it_found_and_what_to_install(
    tmp_path: Path, bare_path: Path, venv: Path
) -> None:
    fake_python(bare_path / "python3", "3.10.12")

    finished = run(["make", "test", f"VENV={venv}"], environment(tmp_path, bare_path))

    assert finished.returncode != 0
    assert not venv.exists()
    assert finished.stdout == ""
    first, *rest = finished.stderr.splitlines()
    assert first.startswith("make: no Python 3.11 to 3.13 found (found: 3.10;")
    assert "sudo apt install python3.11 python3.11-venv" in first
    assert all(line.startswith("make: ***") for line in rest)


def test_a_python_without_its_venv_module_is_named_with_the_package_to_install(tmp_path: Path, bare_path: Path) -> None:
    fake_python(bare_path / "python3", "3.11.4", venv_module=False)

    finished = run([str(FIND_PYTHON)], environment(tmp_path, bare_path))

    assert finished.returncode == 1
    assert finished.stderr == (
        "make: Python 3.11 is here but has no venv module: install it (Ubuntu: sudo apt install python3.11-venv)"
        " and run make again\n"
    )


def test_the_first_supported_python_wins_and_python3_comes_first(tmp_path: Path, bare_path: Path) -> None:
    fake_python(bare_path / "python3", "3.10.12")
    fake_python(bare_path / "python3.12", "3.12.3")
    newest = fake_python(bare_path / "python3.13", "3.13.1")
    env = environment(tmp_path, bare_path)

    assert run([str(FIND_PYTHON)], env).stdout == f"{newest}\n"

    (bare_path / "python3").unlink()
    supported = fake_python(bare_path / "python3", "3.11.9")
    assert run([str(FIND_PYTHON)], env).stdout == f"{supported}\n"


def test_pyenv_versions_count_as_installed_for_a_named_python_and_the_newest_patch_wins(
    tmp_path: Path, bare_path: Path
) -> None:
    env = environment(tmp_path, bare_path)
    versions = Path(env["PYENV_ROOT"]) / "versions"
    fake_python(versions / "3.13.9" / "bin" / "python3.13", "3.13.9")
    newest = fake_python(versions / "3.13.10" / "bin" / "python3.13", "3.13.10")
    fake_python(versions / "3.10.4" / "bin" / "python3.10", "3.10.4")
    # pyenv's shim for a version that is installed but not selected: it complains and fails.
    shim = bare_path / "python3.13"
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)

    assert run([str(FIND_PYTHON), "python3.13"], env).stdout == f"{newest}\n"
    assert run([str(FIND_PYTHON)], env).stdout == f"{newest}\n"
    too_old = run([str(FIND_PYTHON), "python3.10"], env)
    assert too_old.returncode == 1
    assert "python3.10 is Python 3.10" in too_old.stderr
    missing = run([str(FIND_PYTHON), "python3.12"], env)
    assert missing.returncode == 1
    assert missing.stderr.count("\n") == 1
    assert "python3.12 is not a Python interpreter here (not on PATH, not in" in missing.stderr


def ensure(
    venv: Path, requirements: Path, python: Path | None, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run ensure-venv as make does: with the interpreter named by PYTHON=, or None when none was named."""
    return run([str(ENSURE_VENV), str(venv), str(requirements), "" if python is None else str(python)], env)


def assert_rebuilt(rebuilt: subprocess.CompletedProcess[str], built_by: str, rebuilt_with: str) -> None:
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert f"was built by {built_by}: rebuilding it with {rebuilt_with}" in rebuilt.stdout


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    return tmp_path / "venv"


@pytest.fixture
def requirements(tmp_path: Path) -> Path:
    (tmp_path / "runtime.txt").write_text("requests==2.34.2\n")
    path = tmp_path / "dev.txt"
    path.write_text("-r runtime.txt\npytest==9.2.0\n")
    return path


def test_a_venv_is_built_once_and_then_left_alone(
    tmp_path: Path, bare_path: Path, requirements: Path, venv: Path
) -> None:
    python = fake_python(tmp_path / "a" / "python3.12", "3.12.3")
    env = environment(tmp_path, bare_path)

    built = ensure(venv, requirements, python, env)
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith(f"make: creating {venv} with {python} (3.12.3)")
    assert (venv / "pip.log").read_text().splitlines()[-1].endswith(f"-r {requirements}")
    assert (venv / ".installed").read_text().startswith(f"interpreter {python} 3.12.3\n")

    again = ensure(venv, requirements, python, env)
    assert (again.returncode, again.stdout) == (0, "")
    assert len((venv / "pip.log").read_text().splitlines()) == 2


def test_a_venv_built_by_another_interpreter_is_rebuilt_keeping_the_tool_venvs(
    tmp_path: Path, bare_path: Path, requirements: Path, venv: Path
) -> None:
    first = fake_python(tmp_path / "a" / "python3.12", "3.12.3")
    second = fake_python(tmp_path / "b" / "python3.13", "3.13.1")
    env = environment(tmp_path, bare_path)
    assert ensure(venv, requirements, first, env).returncode == 0
    (venv / "lib-of-3.12").write_text("")
    (venv / "tools" / "sam").mkdir(parents=True)

    rebuilt = ensure(venv, requirements, second, env)

    assert_rebuilt(rebuilt, f"{first} 3.12.3", f"{second} (3.13.1)")
    assert (venv / "made-by").read_text().strip() == str(second)
    assert not (venv / "lib-of-3.12").exists()
    assert (venv / "tools" / "sam").is_dir()


def test_a_half_installed_venv_is_rebuilt_not_reused(
    tmp_path: Path, bare_path: Path, requirements: Path, venv: Path
) -> None:
    python = fake_python(tmp_path / "a" / "python3.12", "3.12.3")
    env = environment(tmp_path, bare_path)

    failed = ensure(venv, requirements, python, {**env, "FAIL_PIP": "1"})
    assert failed.returncode != 0
    assert not (venv / ".installed").exists()
    (venv / "partial-package").write_text("")

    rebuilt = ensure(venv, requirements, python, env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert f"{venv} was left half-installed: rebuilding it" in rebuilt.stdout
    assert not (venv / "partial-package").exists()
    assert (venv / ".installed").exists()


def test_changed_requirements_are_installed_into_the_same_venv(
    tmp_path: Path, bare_path: Path, requirements: Path, venv: Path
) -> None:
    python = fake_python(tmp_path / "a" / "python3.12", "3.12.3")
    env = environment(tmp_path, bare_path)
    assert ensure(venv, requirements, python, env).returncode == 0
    (venv / "kept").write_text("")

    (tmp_path / "runtime.txt").write_text("requests==2.34.3\n")  # an included file changed
    updated = ensure(venv, requirements, python, env)

    assert updated.returncode == 0, updated.stderr
    assert updated.stdout == f"make: {requirements} changed: installing it into {venv}\n"
    assert (venv / "kept").exists()
    assert len((venv / "pip.log").read_text().splitlines()) == 4


def test_make_help_lists_every_target() -> None:
    listed = run(["make", "--no-print-directory", "help"], dict(os.environ))
    assert listed.returncode == 0
    targets = {line.split()[0] for line in listed.stdout.splitlines()[1:]}
    assert targets >= {"help", "install", "test", "lint", "lint-template", "build", "bench", "dev", "clean"}


def test_without_python_named_a_venv_keeps_its_interpreter_while_it_runs_and_is_supported(
    tmp_path: Path, bare_path: Path, requirements: Path, venv: Path
) -> None:
    chosen = fake_python(tmp_path / "a" / "python3.13", "3.13.1")
    found = fake_python(bare_path / "python3", "3.11.9")
    env = environment(tmp_path, bare_path)
    assert ensure(venv, requirements, chosen, env).returncode == 0  # make test PYTHON=.../python3.13

    kept = ensure(venv, requirements, None, env)  # then plain make test
    assert (kept.returncode, kept.stdout) == (0, "")
    assert (venv / "made-by").read_text().strip() == str(chosen)

    chosen.unlink()  # that interpreter is gone: the one make finds now builds it again
    assert_rebuilt(ensure(venv, requirements, None, env), f"{chosen} 3.13.1", f"{found} (3.11.9)")


def test_without_python_named_a_venv_of_an_unsupported_python_is_rebuilt(
    tmp_path: Path, bare_path: Path, requirements: Path, venv: Path
) -> None:
    old = fake_python(tmp_path / "old" / "python3.10", "3.10.12")
    found = fake_python(bare_path / "python3", "3.12.3")
    venv.mkdir()
    (venv / ".installed").write_text(f"interpreter {old} 3.10.12\nrequirements 1 2\n")

    rebuilt = ensure(venv, requirements, None, environment(tmp_path, bare_path))

    assert_rebuilt(rebuilt, f"{old} 3.10.12", f"{found} (3.12.3)")

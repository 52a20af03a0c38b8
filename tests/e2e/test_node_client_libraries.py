"""JavaScript OAuth client libraries (Electron, Tauri webviews) against the local stack, through node.

oauth4webapi and AppAuth-JS, pinned in tests/e2e/node/package.json and installed with npm into
.venv/node-interop on first use. Skipped, not failed, where node or npm is absent or the npm
registry cannot be reached.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import CLIENT_ID, DEV_REDIRECT_URI, LocalStack

NODE_TESTS = Path(__file__).resolve().parent / "node"
INSTALL_DIR = Path(__file__).resolve().parents[2] / ".venv" / "node-interop"


@pytest.fixture(scope="module")
def node_modules() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the JavaScript client libraries")
    wanted = json.loads((NODE_TESTS / "package.json").read_text())["dependencies"]
    INSTALL_DIR.mkdir(parents=True, exist_ok=True)
    if installed_versions() != wanted:
        shutil.copy(NODE_TESTS / "package.json", INSTALL_DIR / "package.json")
        install = subprocess.run(  # noqa: S603 (npm from PATH, fixed arguments)
            [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock"],
            cwd=INSTALL_DIR,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if install.returncode != 0 or installed_versions() != wanted:
            pytest.skip(f"npm could not install the client libraries (offline?): {install.stderr[-300:]}")
    return INSTALL_DIR / "node_modules"


def installed_versions() -> dict[str, str]:
    versions = {}
    for name in ("@openid/appauth", "oauth4webapi"):
        manifest = INSTALL_DIR / "node_modules" / name / "package.json"
        if manifest.exists():
            versions[name] = json.loads(manifest.read_text())["version"]
    return versions


def run_flow(node_modules: Path, script: str, config: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None
    # Beside node_modules: ES modules resolve packages from the script's own directory upwards only.
    shutil.copy(NODE_TESTS / script, node_modules.parent / script)
    finished = subprocess.run(  # noqa: S603 (our own script)
        [node, str(node_modules.parent / script), json.dumps(config)],
        env={"PATH": str(Path(node).parent)},
        cwd=node_modules.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


def flow_config(stack: LocalStack, **overrides: object) -> dict[str, Any]:
    return {
        "token_url": stack.token_url,
        "revoke_url": stack.revoke_url,
        "authorize_url": stack.authorize_url,
        "client_id": CLIENT_ID,
        "redirect_uri": DEV_REDIRECT_URI,
        **overrides,
    }


def assert_signed_in_refreshed_and_revoked(stack: LocalStack, steps: dict[str, Any]) -> None:
    assert (steps["signed_in"], steps["refreshed"], steps["revoked"]) == (True, True, True)
    # Revoking the refresh token at Kick ended the access token issued with it.
    answer = requests.post(
        stack.introspect_url, headers={"Authorization": f"Bearer {steps['access_token']}"}, timeout=5
    )
    assert answer.json()["data"]["active"] is False


def test_oauth4webapi_signs_in_refreshes_revokes_through_one_token_url(stack: LocalStack, node_modules: Path) -> None:
    # oauth.None(): the client id in the body (oauth4webapi refuses ClientSecretBasic with an empty secret).
    steps = run_flow(node_modules, "oauth4webapi_flow.mjs", flow_config(stack))

    assert_signed_in_refreshed_and_revoked(stack, steps)
    assert steps["after_revocation"] == "invalid_grant"


def test_appauth_signs_in_refreshes_revokes_through_one_token_url(stack: LocalStack, node_modules: Path) -> None:
    steps = run_flow(node_modules, "appauth_flow.cjs", flow_config(stack))

    assert_signed_in_refreshed_and_revoked(stack, steps)
    assert steps["after_revocation"] == "Bad Request"  # AppAuth's NodeRequestor keeps only the status text


def test_appauth_puts_redirect_uri_first_so_the_nextjs_decoy_cannot_protect_it(
    stack: LocalStack, node_modules: Path
) -> None:
    config = flow_config(
        stack, redirect_uri=stack.loopback_redirect_uri, authorize_url=f"{stack.authorize_url}?redirect=127.0.0.1"
    )

    steps = run_flow(node_modules, "appauth_flow.cjs", config)

    assert "?redirect=127.0.0.1?redirect_uri=" in steps["authorize_url"]
    assert steps["authorize_status"] == 400

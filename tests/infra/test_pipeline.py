"""The deploy pipeline's guarantees: pinned actions, least permissions, OIDC only, prod confirmation."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.infra.cfn_yaml import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^\s*-?\s*uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+\s*$")


def load_workflow(path: Path) -> dict[Any, Any]:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(workflow, dict)
    return workflow


@pytest.fixture(scope="module")
def deploy() -> dict[Any, Any]:
    return load_workflow(ROOT / ".github" / "workflows" / "deploy.yml")


def test_there_are_workflows_to_check() -> None:
    assert {path.name for path in WORKFLOWS} >= {"checks.yml", "deploy.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(path: Path) -> None:
    uses = [line for line in path.read_text(encoding="utf-8").splitlines() if re.match(r"^\s*-?\s*uses:", line)]
    assert uses
    for line in uses:
        assert PINNED.match(line), line


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflows_start_with_no_permissions_and_hold_no_keys(path: Path) -> None:
    workflow = load_workflow(path)
    assert workflow["permissions"] == {}
    assert workflow["concurrency"]["group"]
    text = path.read_text(encoding="utf-8")
    for forbidden in ("aws-access-key-id", "aws-secret-access-key", "AWS_SECRET_ACCESS_KEY", "pull_request_target"):
        assert forbidden not in text
    for job in workflow["jobs"].values():
        assert job["permissions"]["contents"] == "read"
        assert set(job["permissions"]) <= {"contents", "id-token"}


def test_pull_requests_run_make_test_and_make_lint() -> None:
    checks = load_workflow(ROOT / ".github" / "workflows" / "checks.yml")
    # PyYAML reads the bare key `on` as the boolean True.
    assert "pull_request" in checks[True]
    commands = [step.get("run") for job in checks["jobs"].values() for step in job["steps"]]
    assert {"make test", "make lint"} <= set(commands)


def test_only_the_deploy_job_gets_an_oidc_token_and_only_after_the_checks(deploy: dict[Any, Any]) -> None:
    assert deploy[True]["push"]["branches"] == ["main"]
    assert deploy["concurrency"]["cancel-in-progress"] is False
    jobs = deploy["jobs"]
    assert jobs["deploy"]["needs"] == "checks"
    assert jobs["deploy"]["environment"] == "prod"
    assert jobs["deploy"]["permissions"] == {"contents": "read", "id-token": "write"}
    assert "id-token" not in jobs["checks"]["permissions"]
    steps = jobs["deploy"]["steps"]
    credentials = [step for step in steps if "configure-aws-credentials" in step.get("uses", "")]
    assert len(credentials) == 1
    assert credentials[0]["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    runs = [step.get("run", "") for step in steps]
    build = next(index for index, run in enumerate(runs) if run == "make build")
    assert build < steps.index(credentials[0]), "build before any credentials exist"
    assert any(
        "sam deploy --config-env prod --no-confirm-changeset --no-fail-on-empty-changeset" in run for run in runs
    )


def test_samconfig_has_dev_default_and_confirmed_prod() -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    for environment, stage in (("default", "dev"), ("prod", "prod")):
        deploy = config[environment]["deploy"]["parameters"]
        assert config[environment]["global"]["parameters"]["stack_name"].endswith(stage)
        assert deploy["capabilities"] == "CAPABILITY_IAM"
        assert deploy["resolve_s3"] is True
        assert f"Stage={stage}" in deploy["parameter_overrides"]
        assert not any("secret" in override.lower() for override in deploy["parameter_overrides"])
    assert config["prod"]["deploy"]["parameters"]["confirm_changeset"] is True

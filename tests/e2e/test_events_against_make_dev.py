"""What the shipped sample events answer against make dev's stack, and a fresh event that succeeds (README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.fresh_event import fresh_exchange_event, main
from tests.e2e.conftest import APP_REDIRECT_URI, LocalStack
from tests.support.events import EVENTS_DIR
from tests.support.sockets import closed_port

# The README's table ("sam local invoke"): Kick (here its emulator) never issued the samples' code and
# refresh token, so the valid ones are invalid_grant; the others never reach Kick.
DOCUMENTED: dict[str, tuple[int, str | None]] = {
    "exchange": (400, "invalid_grant"),
    "exchange-base64": (400, "invalid_grant"),
    "exchange-form": (400, "invalid_grant"),
    "exchange-bad-verifier": (400, "invalid_request"),
    "exchange-foreign-redirect": (400, "invalid_request"),
    "exchange-missing-code": (400, "invalid_request"),
    "refresh": (400, "invalid_grant"),
    "refresh-form": (400, "invalid_grant"),
    "refresh-missing-token": (400, "invalid_request"),
    "refresh-wrong-content-type": (415, "invalid_request"),
    "exchange-contradicting-grant-type": (400, "unsupported_grant_type"),
    "token-exchange": (400, "invalid_grant"),
    "token-refresh": (400, "invalid_grant"),
    "token-refresh-foreign-client": (401, "invalid_client"),
    "token-unsupported-grant-refresh": (400, "unsupported_grant_type"),
    # RFC 7009: revoking a token Kick does not know is a success.
    "revoke-refresh-token": (200, None),
    "revoke-refresh-token-bad-hint": (400, "unsupported_token_type"),
}


def invoke(stack: LocalStack, event: dict[str, object]) -> tuple[int, dict[str, object]]:
    answer = stack.api.invoke(str(event["path"]), event)
    return answer.status, json.loads(answer.body)


def test_every_shipped_sample_is_in_the_documented_table() -> None:
    assert {path.stem for path in Path(EVENTS_DIR).glob("*.json")} == set(DOCUMENTED)


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_a_shipped_sample_gets_its_documented_answer_from_make_dev(stack: LocalStack, name: str) -> None:
    event = json.loads((Path(EVENTS_DIR) / f"{name}.json").read_text())

    status, body = invoke(stack, event)

    assert (status, body.get("error")) == DOCUMENTED[name]


def test_a_fresh_event_succeeds_once(stack: LocalStack) -> None:
    event = fresh_exchange_event(stack.emulator.base_url, APP_REDIRECT_URI)

    status, body = invoke(stack, event)
    assert status == 200, body
    assert body["token_type"] == "Bearer"

    again, refused = invoke(stack, event)
    assert (again, refused["error"]) == (400, "invalid_grant")


def test_fresh_event_writes_the_file_and_says_how_to_invoke_it(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fresh.json"

    assert main(["--emulator-url", stack.emulator.base_url, "--redirect-uri", APP_REDIRECT_URI, "--out", str(out)]) == 0

    assert invoke(stack, json.loads(out.read_text()))[0] == 200
    assert f"sam local invoke ExchangeFunction -e {out} --env-vars env.json" in capsys.readouterr().out


def test_fresh_event_without_make_dev_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    emulator = f"http://127.0.0.1:{closed_port()}"

    assert main(["--emulator-url", emulator, "--out", str(tmp_path / "e.json")]) == 1

    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert f"nothing answers at {emulator}: start make dev first" in error
    assert not (tmp_path / "e.json").exists()

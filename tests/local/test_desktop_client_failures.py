"""The reference client as a newcomer meets it: every ordinary failure is one line (cause and fix) and an exit code.

Exit codes (python -m desktop_client --help): 0 ok, 1 failed, 2 sign in again, 3 retry later.
The client runs as a subprocess, so anything it would print as a traceback shows on its stderr.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

from desktop_client.failures import EXIT_FAILED, EXIT_OK, EXIT_RETRY_LATER, EXIT_SIGN_IN_AGAIN
from desktop_client.token_store import FileTokenStore, account
from desktop_client.tokens import StoredTokens
from tests.support.kick_stub import Answer, KickStub, html_answer, json_answer, token_answer
from tests.support.processes import run_module
from tests.support.sockets import SilentServer, closed_port, closed_ports

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "local-dev-client"
RETRY_5 = {"Retry-After": "5"}
SIGN_IN = "Sign in again: python -m desktop_client login"
CLIENT_VARIABLES = ("KICK_PROXY_URL", "KICK_AUTHORIZE_URL", "KICK_CLIENT_ID", "KICK_REDIRECT_URI")


def proxy_error(status: int, error: str, description: str = "x", headers: dict[str, str] | None = None) -> Answer:
    return json_answer(status, {"error": error, "error_description": description}, headers)


def client(*arguments: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return run_module("desktop_client", *arguments, drop=CLIENT_VARIABLES, variables=variables, timeout=30)


def one_line_error(finished: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in finished.stderr
    lines = finished.stderr.splitlines()
    assert len(lines) == 1, finished.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def failed_login(tmp_path: Path, *arguments: str) -> str:
    """`login --follow-redirect` with `arguments`: it must fail (exit 1) with one line, returned."""
    finished = client("login", "--follow-redirect", "--token-file", str(tmp_path / "t.json"), *arguments)
    assert finished.returncode == EXIT_FAILED
    return one_line_error(finished)


def signed_in(token_file: Path, proxy_url: str, refresh_token: str = "stored-refresh-token") -> StoredTokens:
    tokens = StoredTokens("stored-access-token", refresh_token, "Bearer", "user:read", time.time() + 60, proxy_url)
    FileTokenStore(token_file, account(CLIENT_ID, proxy_url)).save(tokens)
    return tokens


@pytest.fixture
def proxy(kick: KickStub) -> KickStub:
    """A loopback server standing in for the proxy, answering what each test queues."""
    return kick


def proxy_url(stub: KickStub) -> str:
    return f"http://127.0.0.1:{stub.port}"


def test_the_proxy_not_running_is_retry_later_with_the_fix(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    token_file = tmp_path / "tokens.json"
    signed_in(token_file, url)

    finished = client("--token-file", str(token_file), "refresh", "--proxy-url", url)

    assert finished.returncode == EXIT_RETRY_LATER
    line = one_line_error(finished)
    assert f"nothing answers at {url}/v1/kick/token: start the proxy (make dev)" in line
    assert "KICK_PROXY_URL" in line
    assert "LOCAL_API_PORT" in line


def test_the_emulator_not_running_names_the_authorize_url_and_its_port_variable(tmp_path: Path) -> None:
    emulator_port, callback_port = closed_ports(2)  # one port twice: the client would be its own emulator
    authorize = f"http://127.0.0.1:{emulator_port}/oauth/authorize"
    redirect_uri = f"http://127.0.0.1:{callback_port}/callback"

    line = failed_login(tmp_path, "--authorize-url", authorize, "--redirect-uri", redirect_uri)

    assert f"nothing answers at {authorize}: start make dev" in line
    assert "KICK_EMULATOR_PORT" in line


@pytest.mark.parametrize(
    "redirect_uri",
    ["battles-record://oauth/callback", "https://example.com/callback", "http://10.0.0.5:53682/callback"],
)
def test_a_redirect_uri_the_client_cannot_listen_on_is_refused_before_anything_is_sent(
    redirect_uri: str, proxy: KickStub, tmp_path: Path
) -> None:
    line = failed_login(tmp_path, "--proxy-url", proxy_url(proxy), "--redirect-uri", redirect_uri)

    assert f"the redirect URI {redirect_uri!r} is not http://127.0.0.1:PORT/PATH" in line
    assert "ALLOWED_REDIRECT_URIS" in line
    assert proxy.connections == 0


def test_a_busy_callback_port_names_the_port_and_how_to_choose_another(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = failed_login(tmp_path, "--redirect-uri", f"http://127.0.0.1:{port}/callback")

    assert f"port {port} of the redirect URI http://127.0.0.1:{port}/callback is in use by another program" in line
    assert "--redirect-uri http://127.0.0.1:PORT/callback" in line


@pytest.mark.parametrize(
    ("arguments", "variables", "named"),
    [
        (["--proxy-url", "http://127.0.0.1:70000", "show"], {}, "--proxy-url (or KICK_PROXY_URL)"),
        (["show"], {"KICK_PROXY_URL": "http://127.0.0.1:three-thousand"}, "--proxy-url (or KICK_PROXY_URL)"),
        (["show"], {"KICK_PROXY_URL": "127.0.0.1:3000"}, "--proxy-url (or KICK_PROXY_URL)"),
        (["login", "--authorize-url", "http://127.0.0.1:0x10/oauth/authorize"], {}, "--authorize-url"),
        (["login", "--redirect-uri", "http://127.0.0.1:0/callback"], {}, "the redirect URI"),
        (["login"], {"KICK_REDIRECT_URI": "http://127.0.0.1:65536/callback"}, "the redirect URI"),
    ],
)
def test_bad_ports_and_urls_are_one_line_naming_the_option_or_variable(
    arguments: list[str], variables: dict[str, str], named: str, tmp_path: Path
) -> None:
    finished = client("--token-file", str(tmp_path / "t.json"), *arguments, **variables)

    assert finished.returncode == EXIT_FAILED
    assert named in one_line_error(finished)


@pytest.mark.parametrize(
    "arguments", [["refresh", "--bogus"], ["sign-in"], ["login", "--timeout", "soon"], ["logout", "--force"], []]
)
def test_usage_mistakes_exit_1_not_2_which_means_sign_in_again(arguments: list[str]) -> None:
    finished = client(*arguments)

    assert finished.returncode == EXIT_FAILED
    assert "see python -m desktop_client --help" in one_line_error(finished)


def test_not_signed_in_is_sign_in_again(tmp_path: Path) -> None:
    for command in ("refresh", "show"):
        finished = client("--token-file", str(tmp_path / "none.json"), command)
        assert finished.returncode == EXIT_SIGN_IN_AGAIN
        assert "not signed in at http://127.0.0.1:3000 (client id local-dev-client)" in one_line_error(finished)


@pytest.mark.parametrize(
    ("answer", "exit_code", "expected"),
    [
        (proxy_error(400, "invalid_grant"), EXIT_SIGN_IN_AGAIN, "Sign in again: python -m desktop_client login"),
        (
            proxy_error(502, "upstream_unavailable", "Kick failed", RETRY_5),
            EXIT_RETRY_LATER,
            "the proxy answered 502 upstream_unavailable (Kick failed). Retry after 5 s",
        ),
        (proxy_error(504, "upstream_timeout", "late"), EXIT_RETRY_LATER, "Retry later"),
        (proxy_error(500, "server_error"), EXIT_RETRY_LATER, "Retry later"),
        (proxy_error(429, "temporarily_unavailable", "slow down"), EXIT_RETRY_LATER, "Retry later"),
        (
            proxy_error(403, "invalid_request", "Missing Authentication Token"),
            EXIT_FAILED,
            "the proxy's base URL (deployed: with the stage",
        ),
        (html_answer(404, "<html>\n<body>Not Found</body>\n</html>"), EXIT_FAILED, "did not answer with a JSON object"),
        (proxy_error(400, "invalid_request", "bad"), EXIT_FAILED, "Fix the request"),
        (
            proxy_error(401, "invalid_client", "not this deployment's"),
            EXIT_FAILED,
            "Set --client-id or KICK_CLIENT_ID to the Kick client id the proxy at",
        ),
        (proxy_error(400, "unsupported_grant_type"), EXIT_FAILED, "Fix the request"),
    ],
)
def test_each_proxy_answer_is_one_line_with_its_exit_code(
    answer: Answer, exit_code: int, expected: str, proxy: KickStub, tmp_path: Path
) -> None:
    token_file = tmp_path / "tokens.json"
    signed_in(token_file, proxy_url(proxy))
    proxy.answer(answer)

    finished = client("--token-file", str(token_file), "--proxy-url", proxy_url(proxy), "refresh")

    assert finished.returncode == exit_code
    line = one_line_error(finished)
    assert expected in line
    assert "stored-refresh-token" not in line
    remaining = FileTokenStore(token_file, account(CLIENT_ID, proxy_url(proxy))).load()
    assert (remaining is None) is (exit_code == EXIT_SIGN_IN_AGAIN)


def test_a_redirecting_proxy_is_not_followed_with_the_refresh_token(proxy: KickStub, tmp_path: Path) -> None:
    with SilentServer() as elsewhere:
        token_file = tmp_path / "tokens.json"
        signed_in(token_file, proxy_url(proxy))
        target = f"http://127.0.0.1:{elsewhere.port}/v1/kick/token"
        proxy.answer(Answer(status=307, headers={"Location": target}))

        finished = client("--token-file", str(token_file), "--proxy-url", proxy_url(proxy), "refresh")

        assert finished.returncode == EXIT_FAILED
        assert f"redirects to {target}; tokens are not sent after a redirect" in one_line_error(finished)
        assert elsewhere.accepted == 0


def test_a_successful_refresh_through_global_options_after_the_command(proxy: KickStub, tmp_path: Path) -> None:
    token_file = tmp_path / "tokens.json"
    signed_in(token_file, proxy_url(proxy))
    proxy.answer(token_answer("new-access", "new-refresh"))

    finished = client("refresh", "--proxy-url", proxy_url(proxy), "--token-file", str(token_file))

    assert finished.returncode == EXIT_OK, finished.stderr
    assert finished.stderr == ""
    (request,) = proxy.received
    assert request.path == "/v1/kick/token"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.form_pairs == [
        ("grant_type", "refresh_token"),
        ("refresh_token", "stored-refresh-token"),
        ("client_id", CLIENT_ID),
    ]
    assert FileTokenStore(token_file, account(CLIENT_ID, proxy_url(proxy))).load() is not None


# ------------------------------------------------------------- tokens stay with the proxy that issued them


def test_a_refresh_with_another_proxy_url_sends_nothing_to_it(proxy: KickStub, tmp_path: Path) -> None:
    """The README's default port may be anyone's: tokens issued through one proxy never travel to another."""
    token_file = tmp_path / "tokens.json"
    signed_in(token_file, proxy_url(proxy))
    with SilentServer() as other:
        finished = client(
            "--token-file", str(token_file), "refresh", "--force", "--proxy-url", f"http://127.0.0.1:{other.port}"
        )

        assert finished.returncode == EXIT_SIGN_IN_AGAIN
        assert f"not signed in at http://127.0.0.1:{other.port}" in one_line_error(finished)
        assert other.accepted == 0
    assert FileTokenStore(token_file, account(CLIENT_ID, proxy_url(proxy))).load() is not None


def test_another_client_id_does_not_see_the_tokens_either(proxy: KickStub, tmp_path: Path) -> None:
    token_file = tmp_path / "tokens.json"
    signed_in(token_file, proxy_url(proxy))

    finished = client("--token-file", str(token_file), "--proxy-url", proxy_url(proxy), "--client-id", "x", "refresh")

    assert finished.returncode == EXIT_SIGN_IN_AGAIN
    assert proxy.connections == 0


def test_tokens_filed_under_one_proxy_but_issued_by_another_are_not_sent(proxy: KickStub, tmp_path: Path) -> None:
    """A tampered or hand-copied file: the record's own issuer decides, not the key it sits under."""
    token_file = tmp_path / "tokens.json"
    issued_elsewhere = StoredTokens("a", "r", "Bearer", "", time.time(), "http://127.0.0.1:1")
    FileTokenStore(token_file, account(CLIENT_ID, proxy_url(proxy))).save(issued_elsewhere)

    finished = client("--token-file", str(token_file), "--proxy-url", proxy_url(proxy), "refresh")

    assert finished.returncode == EXIT_SIGN_IN_AGAIN
    assert "issued through http://127.0.0.1:1, not" in one_line_error(finished)
    assert proxy.connections == 0


def test_a_token_file_of_an_older_client_holds_no_tokens_for_any_proxy(proxy: KickStub, tmp_path: Path) -> None:
    token_file = tmp_path / "tokens.json"
    token_file.write_text(
        json.dumps({"access_token": "a", "refresh_token": "r", "token_type": "Bearer", "expires_at": time.time()})
    )

    finished = client("--token-file", str(token_file), "--proxy-url", proxy_url(proxy), "refresh")

    assert finished.returncode == EXIT_SIGN_IN_AGAIN
    assert proxy.connections == 0


def test_a_corrupt_token_file_is_one_line_with_the_fix(tmp_path: Path) -> None:
    token_file = tmp_path / "tokens.json"
    token_file.write_text("{not json")

    finished = client("--token-file", str(token_file), "show")

    assert finished.returncode == EXIT_FAILED
    assert f"cannot read the token file {token_file} (not JSON): delete it" in one_line_error(finished)


def test_help_lists_every_environment_variable_the_client_reads() -> None:
    sources = "".join(path.read_text() for path in (ROOT / "desktop_client").glob("*.py"))

    read = set(re.findall(r"""env(?:iron)?(?:\.get)?\(\s*["']([A-Z_]+)["']""", sources))
    read |= set(re.findall(r"""environ\[["']([A-Z_]+)["']\]""", sources))
    read |= {"KICK_DESKTOP_TOKEN_FILE"}  # through TOKEN_FILE_ENV
    assert read >= {"KICK_PROXY_URL", "KICK_AUTHORIZE_URL", "KICK_CLIENT_ID", "KICK_REDIRECT_URI", "XDG_CONFIG_HOME"}

    shown = client("--help")

    assert shown.returncode == EXIT_OK
    missing = {name for name in read if name not in shown.stdout}
    assert not missing
    for code in ("0  ok", "1  failed", "2  sign in again", "3  retry later"):
        assert code in shown.stdout
    assert "logout revokes the refresh token, then the access token" in shown.stdout
    assert "--forget-anyway" in client("logout", "--help").stdout


# ------------------------------------------------------------- logout: revoke through the proxy, then forget

REVOKED = json_answer(200, {})
KICK_DOWN = proxy_error(502, "upstream_unavailable", "Kick failed", RETRY_5)
KEEPS = "The tokens stay in file"
FORGET_ANYWAY = "python -m desktop_client logout --forget-anyway forgets them without revoking"


def logout(token_file: Path, url: str, *options: str) -> subprocess.CompletedProcess[str]:
    return client("--token-file", str(token_file), "--proxy-url", url, "logout", *options)


def stored_tokens(token_file: Path, url: str) -> StoredTokens | None:
    return FileTokenStore(token_file, account(CLIENT_ID, url)).load()


def test_logout_revokes_the_refresh_then_the_access_token_and_forgets_them(proxy: KickStub, tmp_path: Path) -> None:
    token_file = tmp_path / "tokens.json"
    signed_in(token_file, proxy_url(proxy))
    proxy.answer(REVOKED)

    finished = logout(token_file, proxy_url(proxy))

    assert finished.returncode == EXIT_OK, finished.stderr
    assert finished.stderr == ""
    assert f"signed out: tokens revoked through {proxy_url(proxy)}; cleared file {token_file}" in finished.stdout
    assert [(request.path, request.form_pairs) for request in proxy.received] == [
        (
            "/v1/kick/revoke",
            [("token", "stored-refresh-token"), ("token_type_hint", "refresh_token"), ("client_id", CLIENT_ID)],
        ),
        (
            "/v1/kick/revoke",
            [("token", "stored-access-token"), ("token_type_hint", "access_token"), ("client_id", CLIENT_ID)],
        ),
    ]
    assert {request.headers["Content-Type"] for request in proxy.received} == {"application/x-www-form-urlencoded"}
    assert not token_file.exists()


def test_logout_accepts_any_200_as_rfc_7009_says_whatever_its_body(proxy: KickStub, tmp_path: Path) -> None:
    token_file = tmp_path / "tokens.json"
    signed_in(token_file, proxy_url(proxy))
    proxy.answer(Answer(status=200, body=b"OK", headers={"Content-Type": "text/plain"}))

    assert logout(token_file, proxy_url(proxy)).returncode == EXIT_OK
    assert stored_tokens(token_file, proxy_url(proxy)) is None


def test_logout_without_a_refresh_token_revokes_the_access_token(proxy: KickStub, tmp_path: Path) -> None:
    token_file = tmp_path / "tokens.json"
    signed_in(token_file, proxy_url(proxy), refresh_token="")
    proxy.answer(REVOKED)

    assert logout(token_file, proxy_url(proxy)).returncode == EXIT_OK
    assert [request.form["token_type_hint"] for request in proxy.received] == ["access_token"]


@pytest.mark.parametrize(
    ("answers", "exit_code", "expected"),
    [
        (
            [KICK_DOWN],
            EXIT_RETRY_LATER,
            "not signed out: the refresh token was not revoked: the proxy answered 502 upstream_unavailable"
            " (Kick failed). Retry after 5 s.",
        ),
        (
            [REVOKED, KICK_DOWN],
            EXIT_RETRY_LATER,
            "not signed out: the refresh token was revoked, the access token was not: the proxy answered 502",
        ),
        ([proxy_error(429, "temporarily_unavailable", "slow down")], EXIT_RETRY_LATER, "Retry later"),
        (
            [proxy_error(401, "invalid_client", "not this deployment's")],
            EXIT_FAILED,
            "Set --client-id or KICK_CLIENT_ID",
        ),
        # Revocation never means "sign in again" (RFC 7009: an unknown token is a 200).
        ([proxy_error(400, "invalid_grant")], EXIT_FAILED, "Fix the request or the proxy's configuration"),
        ([proxy_error(403, "invalid_request", "Missing Authentication Token")], EXIT_FAILED, "the proxy's base URL"),
    ],
)
def test_logout_keeps_the_tokens_when_they_are_not_revoked(
    answers: list[Answer], exit_code: int, expected: str, proxy: KickStub, tmp_path: Path
) -> None:
    token_file = tmp_path / "tokens.json"
    tokens = signed_in(token_file, proxy_url(proxy))
    proxy.answer(*answers)

    finished = logout(token_file, proxy_url(proxy))

    assert finished.returncode == exit_code
    line = one_line_error(finished)
    assert expected in line
    assert KEEPS in line
    assert FORGET_ANYWAY in line
    assert "stored-refresh-token" not in line
    assert "stored-access-token" not in line
    assert stored_tokens(token_file, proxy_url(proxy)) == tokens


def test_logout_with_the_proxy_not_running_is_retry_later_and_keeps_the_tokens(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    token_file = tmp_path / "tokens.json"
    tokens = signed_in(token_file, url)

    finished = logout(token_file, url)

    assert finished.returncode == EXIT_RETRY_LATER
    line = one_line_error(finished)
    assert f"the refresh token was not revoked: nothing answers at {url}/v1/kick/revoke: start the proxy" in line
    assert FORGET_ANYWAY in line
    assert stored_tokens(token_file, url) == tokens


def test_logout_forget_anyway_forgets_unrevoked_tokens_and_says_so(proxy: KickStub, tmp_path: Path) -> None:
    token_file = tmp_path / "tokens.json"
    signed_in(token_file, proxy_url(proxy))
    proxy.answer(KICK_DOWN)

    finished = logout(token_file, proxy_url(proxy), "--forget-anyway")

    assert finished.returncode == EXIT_OK, finished.stderr
    assert finished.stderr == ""
    assert "forgot the tokens without revoking them (the refresh token was not revoked: the proxy answered 502" in (
        finished.stdout
    )
    assert "they stay valid at Kick until they expire" in finished.stdout
    assert len(proxy.received) == 1
    assert not token_file.exists()


def test_logout_with_nothing_stored_is_already_signed_out_and_sends_nothing(proxy: KickStub, tmp_path: Path) -> None:
    finished = logout(tmp_path / "none.json", proxy_url(proxy))

    assert finished.returncode == EXIT_OK
    assert f"not signed in at {proxy_url(proxy)} (client id {CLIENT_ID}): nothing to revoke or forget" in (
        finished.stdout
    )
    assert proxy.connections == 0


def test_logout_at_another_proxy_url_neither_sends_nor_forgets_this_proxys_tokens(
    proxy: KickStub, tmp_path: Path
) -> None:
    token_file = tmp_path / "tokens.json"
    tokens = signed_in(token_file, proxy_url(proxy))
    with SilentServer() as other:
        finished = logout(token_file, f"http://127.0.0.1:{other.port}")

        assert finished.returncode == EXIT_OK
        assert other.accepted == 0
    assert stored_tokens(token_file, proxy_url(proxy)) == tokens


@pytest.mark.parametrize("forget_anyway", [False, True])
def test_logout_never_sends_tokens_filed_under_one_proxy_but_issued_by_another(
    forget_anyway: bool, proxy: KickStub, tmp_path: Path
) -> None:
    token_file = tmp_path / "tokens.json"
    issued_elsewhere = StoredTokens("a", "r", "Bearer", "", time.time(), "http://127.0.0.1:1")
    FileTokenStore(token_file, account(CLIENT_ID, proxy_url(proxy))).save(issued_elsewhere)

    finished = logout(token_file, proxy_url(proxy), *(["--forget-anyway"] if forget_anyway else []))

    assert proxy.connections == 0
    if forget_anyway:
        assert finished.returncode == EXIT_OK
        assert "forgot the tokens without revoking them (the stored tokens were issued through" in finished.stdout
        assert stored_tokens(token_file, proxy_url(proxy)) is None
    else:
        assert finished.returncode == EXIT_FAILED
        line = one_line_error(finished)
        assert "not signed out: the stored tokens were issued through http://127.0.0.1:1, not" in line
        assert FORGET_ANYWAY in line
        assert stored_tokens(token_file, proxy_url(proxy)) == issued_elsewhere

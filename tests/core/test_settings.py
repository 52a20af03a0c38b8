"""core.settings: the proxy's configuration from a plain mapping; bad values name the variable only."""

from __future__ import annotations

import pytest

from core.settings import (
    DEFAULT_REPLAY_WINDOW_SECONDS,
    DEFAULT_REVOKE_URL,
    DEFAULT_TOKEN_URL,
    DEFAULT_UPSTREAM_TIMEOUT_SECONDS,
    ConfigurationError,
    settings_from,
)

MINIMAL = {"KICK_SECRET_ID": "kick-oauth-proxy/kick-client"}
URL_VARIABLES = ["KICK_TOKEN_URL", "KICK_REVOKE_URL"]
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:kick-oauth-proxy/kick-client-AbCdEf"


def refused(env: dict[str, str], variable: str, value: str | None = None) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as caught:
        settings_from(env)
    message = str(caught.value)
    assert variable in message
    if value is not None and value.strip():
        assert value.strip() not in message.replace(variable, "")
    return caught.value


def test_only_the_secret_id_is_required_and_everything_else_has_a_default() -> None:
    settings = settings_from(MINIMAL)
    assert settings.secret_id == MINIMAL["KICK_SECRET_ID"]
    assert settings.token_url == DEFAULT_TOKEN_URL == "https://id.kick.com/oauth/token"
    assert settings.revoke_url == DEFAULT_REVOKE_URL == "https://id.kick.com/oauth/revoke"
    assert settings.allowed_redirect_uris == frozenset()
    assert settings.allowed_origins == frozenset()
    assert settings.upstream_timeout_seconds == DEFAULT_UPSTREAM_TIMEOUT_SECONDS == 10
    assert settings.replay_table_name is None
    assert settings.replay_window_seconds == DEFAULT_REPLAY_WINDOW_SECONDS == 60


@pytest.mark.parametrize("blank", ["", " ", "  \t"])
def test_blank_values_mean_the_default(blank: str) -> None:
    optional = (
        "KICK_TOKEN_URL",
        "KICK_REVOKE_URL",
        "UPSTREAM_TIMEOUT_SECONDS",
        "REPLAY_TABLE_NAME",
        "REPLAY_WINDOW_SECONDS",
    )
    settings = settings_from({**MINIMAL, **dict.fromkeys(optional, blank)})
    assert settings.token_url == DEFAULT_TOKEN_URL
    assert settings.revoke_url == DEFAULT_REVOKE_URL
    assert settings.upstream_timeout_seconds == DEFAULT_UPSTREAM_TIMEOUT_SECONDS
    assert settings.replay_table_name is None
    assert settings.replay_window_seconds == DEFAULT_REPLAY_WINDOW_SECONDS


def test_every_variable_is_read() -> None:
    settings = settings_from(
        {
            "KICK_SECRET_ID": SECRET_ARN,
            "KICK_TOKEN_URL": "http://127.0.0.1:3001/oauth/token",
            "KICK_REVOKE_URL": "http://127.0.0.1:3001/oauth/revoke",
            "ALLOWED_REDIRECT_URIS": "battles-record://oauth/callback,http://localhost:1420/auth/callback",
            "ALLOWED_ORIGINS": "http://localhost:1420",
            "UPSTREAM_TIMEOUT_SECONDS": "2.5",
            "REPLAY_TABLE_NAME": "kick-oauth-proxy-replay",
            "REPLAY_WINDOW_SECONDS": "90",
        }
    )
    assert settings.secret_id == SECRET_ARN
    assert settings.token_url == "http://127.0.0.1:3001/oauth/token"
    assert settings.revoke_url == "http://127.0.0.1:3001/oauth/revoke"
    assert settings.allowed_redirect_uris == {"battles-record://oauth/callback", "http://localhost:1420/auth/callback"}
    assert settings.allowed_origins == {"http://localhost:1420"}
    assert settings.upstream_timeout_seconds == 2.5
    assert settings.replay_table_name == "kick-oauth-proxy-replay"
    assert settings.replay_window_seconds == 90


def test_settings_come_only_from_the_mapping_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KICK_TOKEN_URL", "https://from-the-process.example/token")
    monkeypatch.setenv("UPSTREAM_TIMEOUT_SECONDS", "3")
    settings = settings_from(MINIMAL)
    assert settings.token_url == DEFAULT_TOKEN_URL
    assert settings.upstream_timeout_seconds == DEFAULT_UPSTREAM_TIMEOUT_SECONDS


@pytest.mark.parametrize("variable", ["ALLOWED_REDIRECT_URIS", "ALLOWED_ORIGINS"])
def test_comma_separated_lists_are_trimmed_around_commas_and_skip_empty_entries(variable: str) -> None:
    settings = settings_from({**MINIMAL, variable: " a://x/cb , b://y/cb,,\tc://z/cb\n, ,"})
    expected = {"a://x/cb", "b://y/cb", "c://z/cb"}
    attribute = "allowed_redirect_uris" if variable == "ALLOWED_REDIRECT_URIS" else "allowed_origins"
    assert getattr(settings, attribute) == expected


def test_list_entries_are_otherwise_kept_exactly() -> None:
    settings = settings_from({**MINIMAL, "ALLOWED_REDIRECT_URIS": "App://X/CB/,app://x/cb?q=1%2F"})
    assert settings.allowed_redirect_uris == {"App://X/CB/", "app://x/cb?q=1%2F"}


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_a_missing_or_blank_secret_id_is_refused(value: str) -> None:
    refused({"KICK_SECRET_ID": value}, "KICK_SECRET_ID")
    refused({}, "KICK_SECRET_ID")


def test_the_secret_id_may_be_a_name_or_an_arn() -> None:
    assert settings_from({"KICK_SECRET_ID": SECRET_ARN}).secret_id == SECRET_ARN
    assert settings_from({"KICK_SECRET_ID": " name "}).secret_id == "name"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://id.kick.com/oauth/token",
        "file:///etc/canary",
        "id.kick.com/oauth/token",
        "//id.kick.com/oauth/token",
        "https://",
        "http:///oauth/token",
        "javascript:canary(1)",
        "wss://id.kick.com/oauth/token",
    ],
)
@pytest.mark.parametrize("variable", URL_VARIABLES)
def test_a_kick_url_that_is_not_http_or_https_is_refused(variable: str, url: str) -> None:
    refused({**MINIMAL, variable: url}, variable, url)


@pytest.mark.parametrize("url", ["http://host.docker.internal:3001/oauth/token", "HTTPS://id.kick.com/oauth/token"])
@pytest.mark.parametrize("variable", URL_VARIABLES)
def test_http_and_https_kick_urls_are_accepted(variable: str, url: str) -> None:
    settings = settings_from({**MINIMAL, variable: url})
    assert (settings.token_url if variable == "KICK_TOKEN_URL" else settings.revoke_url) == url


@pytest.mark.parametrize(
    "value",
    ["ten-canary", "0", "0.0", "-1", "-0.5", "nan", "NaN", "inf", "-inf", "Infinity", "1e400", "10s", "1,5", "0x10"],
)
@pytest.mark.parametrize("variable", ["UPSTREAM_TIMEOUT_SECONDS", "REPLAY_WINDOW_SECONDS"])
def test_a_duration_that_is_not_a_positive_finite_number_is_refused_by_name(variable: str, value: str) -> None:
    refused({**MINIMAL, variable: value}, variable, value)


@pytest.mark.parametrize(("value", "expected"), [("10", 10.0), (" 2.5 ", 2.5), ("0.001", 0.001), ("1e1", 10.0)])
def test_the_upstream_timeout_accepts_any_positive_number_of_seconds(value: str, expected: float) -> None:
    assert settings_from({**MINIMAL, "UPSTREAM_TIMEOUT_SECONDS": value}).upstream_timeout_seconds == expected


def test_the_replay_window_is_whole_seconds_rounded_up_so_it_is_never_zero() -> None:
    assert settings_from({**MINIMAL, "REPLAY_WINDOW_SECONDS": "90.1"}).replay_window_seconds == 91
    assert settings_from({**MINIMAL, "REPLAY_WINDOW_SECONDS": "0.5"}).replay_window_seconds == 1


def test_a_configuration_error_never_contains_any_configured_value() -> None:
    env = {"KICK_SECRET_ID": "", "ALLOWED_ORIGINS": "https://canary.example", "KICK_TOKEN_URL": "ftp://canary"}
    with pytest.raises(ConfigurationError) as caught:
        settings_from(env)
    assert "canary" not in str(caught.value)


@pytest.mark.parametrize("url", ["http://[::1", "https://[id.kick.com/oauth/token"])
@pytest.mark.parametrize("variable", URL_VARIABLES)
def test_a_malformed_kick_url_is_a_configuration_error(variable: str, url: str) -> None:
    refused({**MINIMAL, variable: url}, variable, url)

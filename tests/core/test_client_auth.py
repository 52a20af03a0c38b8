"""core.client_auth: public-client authentication as OAuth libraries send it (RFC 6749 sections 2.3.1, 3.2.1)."""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.client_auth import BASIC_CHALLENGE, NO_CLIENT, PresentedClient, check_client, presented_client
from core.errors import INVALID_CLIENT, INVALID_REQUEST, ProxyError
from core.request_body import DUPLICATE
from tests.core.core_support import attempt

DEPLOYMENT = "01JDEPLOYMENTCLIENTID"
PROPERTIES = settings(max_examples=200, deadline=None)


def basic(user_id: str, password: str = "") -> str:
    """What RFC 6749 section 2.3.1 prescribes: each part form-encoded, then Basic (RFC 7617)."""
    pair = f"{quote_plus(user_id)}:{quote_plus(password)}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def refused(fields: dict[str, object], authorization: str | None = None) -> ProxyError:
    with pytest.raises(ProxyError) as caught:
        presented_client(fields, authorization)
    return caught.value


def test_nothing_presented_is_a_public_client_without_an_id() -> None:
    assert presented_client({}, None) == NO_CLIENT
    assert presented_client({"client_id": ""}, "") == NO_CLIENT


def test_the_client_id_in_the_body() -> None:
    assert presented_client({"client_id": DEPLOYMENT}, None) == PresentedClient(DEPLOYMENT, by_basic=False)


def test_http_basic_with_an_empty_password() -> None:
    assert presented_client({}, basic(DEPLOYMENT)) == PresentedClient(DEPLOYMENT, by_basic=True)


def test_the_basic_scheme_name_is_case_insensitive() -> None:
    assert presented_client({}, basic(DEPLOYMENT).replace("Basic", "bAsIc")).client_id == DEPLOYMENT


def test_a_password_or_client_secret_the_app_presents_is_read_as_nothing() -> None:
    presented = presented_client({"client_secret": "app-secret"}, basic(DEPLOYMENT, "app-secret"))
    assert presented == PresentedClient(DEPLOYMENT, by_basic=True)
    assert "app-secret" not in repr(presented)


def test_basic_user_ids_are_form_decoded_as_rfc_6749_requires() -> None:
    assert presented_client({}, basic("client id+/é")).client_id == "client id+/é"


def test_the_same_id_in_the_header_and_the_body_is_accepted() -> None:
    assert presented_client({"client_id": DEPLOYMENT}, basic(DEPLOYMENT)) == PresentedClient(DEPLOYMENT, True)


def test_different_ids_in_the_header_and_the_body_are_invalid_client_with_a_basic_challenge() -> None:
    error = refused({"client_id": "other"}, basic(DEPLOYMENT))
    assert (error.status, error.error, error.challenge) == (401, INVALID_CLIENT, BASIC_CHALLENGE)


def test_other_authorization_schemes_are_not_client_authentication() -> None:
    assert presented_client({}, "Bearer some-access-token") == NO_CLIENT
    assert presented_client({"client_id": DEPLOYMENT}, "DPoP abc") == PresentedClient(DEPLOYMENT)


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:").decode(),
        "Basic " + base64.b64encode(b"%ff%fe:").decode(),
        "Basic " + base64.b64encode(b":password-only").decode(),
    ],
)
def test_unreadable_basic_credentials_are_invalid_client_with_a_basic_challenge(authorization: str) -> None:
    error = refused({}, authorization)
    assert (error.status, error.error, error.challenge) == (401, INVALID_CLIENT, BASIC_CHALLENGE)


def test_a_client_id_sent_twice_or_not_as_text_is_a_malformed_request() -> None:
    assert refused({"client_id": DUPLICATE}).error == INVALID_REQUEST
    assert refused({"client_id": ["a"]}).error == INVALID_REQUEST
    assert refused({"client_id": 7}).status == 400


def test_the_deployments_own_id_passes_and_no_id_passes() -> None:
    check_client(PresentedClient(DEPLOYMENT), DEPLOYMENT)
    check_client(PresentedClient(DEPLOYMENT, by_basic=True), DEPLOYMENT)
    check_client(NO_CLIENT, DEPLOYMENT)


def test_a_foreign_id_in_the_body_is_invalid_client_without_a_challenge() -> None:
    with pytest.raises(ProxyError) as caught:
        check_client(PresentedClient("someone-elses-client"), DEPLOYMENT)
    assert (caught.value.status, caught.value.error, caught.value.challenge) == (401, INVALID_CLIENT, None)
    assert "someone-elses-client" not in caught.value.description


def test_a_foreign_id_by_basic_is_invalid_client_with_the_basic_challenge() -> None:
    with pytest.raises(ProxyError) as caught:
        check_client(PresentedClient("someone-elses-client", by_basic=True), DEPLOYMENT)
    assert (caught.value.status, caught.value.challenge) == (401, BASIC_CHALLENGE)
    assert caught.value.challenge is not None
    assert caught.value.challenge.startswith("Basic ")


def test_ids_differing_only_in_case_or_spaces_are_foreign() -> None:
    for near in (DEPLOYMENT.lower(), f" {DEPLOYMENT}", f"{DEPLOYMENT}\n"):
        with pytest.raises(ProxyError):
            check_client(PresentedClient(near), DEPLOYMENT)


@PROPERTIES
@given(user_id=st.text(min_size=1, max_size=40), password=st.text(max_size=40))
def test_any_basic_credentials_encoded_per_rfc_6749_yield_the_user_id(user_id: str, password: str) -> None:
    try:
        authorization = basic(user_id, password)
    except UnicodeEncodeError:  # lone surrogates: no HTTP header can carry them
        return
    assert presented_client({}, authorization) == PresentedClient(user_id, by_basic=True)


@PROPERTIES
@given(
    authorization=st.one_of(st.none(), st.text(max_size=60), st.text(max_size=60).map(lambda text: "Basic " + text)),
    client_id=st.one_of(st.none(), st.text(max_size=20), st.integers(), st.just(DUPLICATE)),
)
def test_any_header_and_client_id_give_a_client_or_a_contract_error(
    authorization: str | None, client_id: object
) -> None:
    fields: dict[str, object] = {} if client_id is None else {"client_id": client_id}
    outcome = attempt(presented_client, fields, authorization)
    if isinstance(outcome, ProxyError):
        assert (outcome.status, outcome.error) in {(400, INVALID_REQUEST), (401, INVALID_CLIENT)}
        assert outcome.error != INVALID_CLIENT or outcome.challenge == BASIC_CHALLENGE
        if isinstance(client_id, str) and len(client_id) > 12:
            assert client_id not in outcome.description
        return
    assert outcome.client_id is None or isinstance(outcome.client_id, str)
    assert outcome.client_id != ""

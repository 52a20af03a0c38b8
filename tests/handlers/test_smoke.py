from tests.support.events import json_event
from tests.support.proxy import REDIRECT_URI, VERIFIER, Proxy


def test_exchange_returns_kicks_tokens(proxy: Proxy) -> None:
    answer = proxy.exchange(
        json_event("/v1/kick/exchange", {"code": "c0de", "code_verifier": VERIFIER, "redirect_uri": REDIRECT_URI})
    )
    assert answer.status == 200
    assert answer.json["access_token"] == "stub-access"
    assert proxy.kick.received[-1].form["grant_type"] == "authorization_code"

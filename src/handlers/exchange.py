"""POST /v1/kick/exchange: an authorization code and its PKCE verifier for Kick's tokens."""

from proxy.cold_start import collector_paused

with collector_paused():
    from core.grants import parse_authorization_code
    from proxy.pipeline import lambda_handler_for

lambda_handler = lambda_handler_for("authorization_code", parse_authorization_code)

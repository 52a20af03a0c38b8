"""POST /v1/kick/token: the RFC 6749 token endpoint, one URL for the code exchange and refreshes."""

from proxy.cold_start import collector_paused

with collector_paused():
    from proxy.pipeline import token_lambda_handler

lambda_handler = token_lambda_handler()

"""POST /v1/kick/revoke: RFC 7009 revocation of an access or refresh token at Kick."""

from proxy.cold_start import collector_paused

with collector_paused():
    from proxy.pipeline import revoke_lambda_handler

lambda_handler = revoke_lambda_handler()

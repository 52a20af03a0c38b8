"""POST /v1/kick/refresh: a refresh token for Kick's next (rotated) tokens."""

from proxy.cold_start import collector_paused

with collector_paused():
    from core.grants import parse_refresh_token
    from proxy.pipeline import lambda_handler_for

lambda_handler = lambda_handler_for("refresh_token", parse_refresh_token)

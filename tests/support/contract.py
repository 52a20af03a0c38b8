"""The functions and the configuration the contract names, written out here rather than read from the template
or the code, so that the tests checking template.yaml and env.json against them stay independent of both."""

from __future__ import annotations

# Each function's handler and the path it serves.
FUNCTION_ROUTES = {
    "ExchangeFunction": ("handlers.exchange.lambda_handler", "/v1/kick/exchange"),
    "RefreshFunction": ("handlers.refresh.lambda_handler", "/v1/kick/refresh"),
    "TokenFunction": ("handlers.token.lambda_handler", "/v1/kick/token"),
    "RevokeFunction": ("handlers.revoke.lambda_handler", "/v1/kick/revoke"),
}
# What every function needs to reach Kick and check a request, wherever it runs.
KICK_VARIABLES = {
    "KICK_SECRET_ID",
    "KICK_TOKEN_URL",
    "KICK_REVOKE_URL",
    "ALLOWED_REDIRECT_URIS",
    "ALLOWED_ORIGINS",
    "UPSTREAM_TIMEOUT_SECONDS",
}

"""The proxy's logger and metrics, and what it may log about an exception.

Exceptions are logged by type and code location, never by message or traceback text: a botocore
error echoes request parameters and a JSON error quotes the document.
"""

from __future__ import annotations

import logging
import os
import traceback

from aws_lambda_powertools import Logger, Metrics

SERVICE = "kick-oauth-proxy"

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME") or SERVICE)
metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "KickOAuthProxy",
    service=os.environ.get("POWERTOOLS_SERVICE_NAME") or SERVICE,
)

# botocore logs whole request and response bodies at DEBUG, the secret among them; LOG_LEVEL=DEBUG
# is for our own lines only.
for _library in ("botocore", "boto3", "s3transfer"):
    logging.getLogger(_library).setLevel(logging.INFO)
# urllib3 quotes the request URL in DEBUG and WARNING lines (a response header it cannot parse, a
# retry), and a revocation's URL carries the token (Kick's design); it logs nothing at ERROR.
logging.getLogger("urllib3").setLevel(logging.ERROR)


def code_locations(exc: BaseException) -> list[str]:
    """`file.py:line:function` for each frame of the exception's traceback, innermost last."""
    return [f"{os.path.basename(f.filename)}:{f.lineno}:{f.name}" for f in traceback.extract_tb(exc.__traceback__)]

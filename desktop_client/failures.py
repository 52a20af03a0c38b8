"""The client's exit codes, and the one-line failure every ordinary problem becomes: its cause and the fix."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_SIGN_IN_AGAIN = 2
EXIT_RETRY_LATER = 3


class Failure(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

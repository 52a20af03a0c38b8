"""Where the client keeps its tokens: the OS keyring when one is usable, else a file only its owner can read.

Every store keeps tokens per account, `client_id@proxy_url`: tokens one proxy issued are never
handed to another (the refresh token would travel to whoever listens at the other URL).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Protocol

from desktop_client.failures import Failure
from desktop_client.tokens import StoredTokens

SERVICE = "kick-oauth-proxy-desktop-client"
TOKEN_FILE_ENV = "KICK_DESKTOP_TOKEN_FILE"  # noqa: S105 (a variable name)


def account(client_id: str, proxy_url: str) -> str:
    return f"{client_id}@{proxy_url.rstrip('/')}"


class TokenStore(Protocol):
    description: str

    def load(self) -> StoredTokens | None: ...

    def save(self, tokens: StoredTokens) -> None: ...

    def clear(self) -> None: ...


class FileTokenStore:
    """One JSON file, `{"accounts": {account: tokens}}`; a file without `accounts` (an older client's) holds none."""

    def __init__(self, path: Path, account: str) -> None:
        self.path = path
        self.account = account
        self.description = f"file {path} (mode 0600)"

    def load(self) -> StoredTokens | None:
        entry = self._accounts().get(self.account)
        return StoredTokens.from_json(entry) if isinstance(entry, dict) else None

    def save(self, tokens: StoredTokens) -> None:
        accounts = self._accounts()
        accounts[self.account] = tokens.as_json()
        self._write(accounts)

    def clear(self) -> None:
        accounts = self._accounts()
        if accounts.pop(self.account, None) is None:
            return
        if accounts:
            self._write(accounts)
        else:
            self.path.unlink(missing_ok=True)

    def _accounts(self) -> dict[str, Any]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as unreadable:
            reason = type(unreadable).__name__ if isinstance(unreadable, OSError) else "not JSON"
            raise Failure(
                f"cannot read the token file {self.path} ({reason}): delete it and sign in again,"
                " or choose another with --token-file"
            ) from None
        accounts = document.get("accounts") if isinstance(document, dict) else None
        return dict(accounts) if isinstance(accounts, dict) else {}

    def _write(self, accounts: dict[str, Any]) -> None:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # mkstemp creates the file 0600 from the start; replacing makes the write atomic.
            descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-", suffix=".tmp")
        except OSError as failed:
            raise Failure(
                f"cannot write the token file {self.path} ({failed.strerror or type(failed).__name__}):"
                " choose another with --token-file or KICK_DESKTOP_TOKEN_FILE"
            ) from None
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                json.dump({"accounts": accounts}, file)
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise


class KeyringTokenStore:
    def __init__(self, keyring: Any, account: str) -> None:
        self._keyring = keyring
        self.account = account
        self.description = f"OS keyring ({type(keyring.get_keyring()).__name__}, service {SERVICE})"

    def load(self) -> StoredTokens | None:
        value = self._keyring.get_password(SERVICE, self.account)
        return StoredTokens.from_json(json.loads(value)) if value else None

    def save(self, tokens: StoredTokens) -> None:
        self._keyring.set_password(SERVICE, self.account, json.dumps(tokens.as_json()))

    def clear(self) -> None:
        with contextlib.suppress(Exception):  # keyring raises PasswordDeleteError when nothing is stored
            self._keyring.delete_password(SERVICE, self.account)


def open_store(choice: str, account: str, token_file: Path | None = None) -> TokenStore:
    """`auto`: the keyring when importable and backed by a real store, else the file; a token file forces the file."""
    if token_file is None and os.environ.get(TOKEN_FILE_ENV):
        token_file = Path(os.environ[TOKEN_FILE_ENV])
    if choice != "file" and token_file is None:
        keyring = usable_keyring()
        if keyring is not None:
            return KeyringTokenStore(keyring, account)
        if choice == "keyring":
            raise Failure("no usable OS keyring: install the `keyring` package and a backend, or use --store file")
    return FileTokenStore(token_file or default_token_file(), account)


def usable_keyring() -> Any | None:
    try:
        keyring = importlib.import_module("keyring")
        backend = keyring.get_keyring()
    except Exception:  # not installed, or no backend can load
        return None
    # keyring falls back to backends that store nothing (fail) or silently forget (null).
    if type(backend).__module__.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return None
    return keyring


def default_token_file() -> Path:
    return config_dir() / SERVICE / "tokens.json"


def config_dir() -> Path:
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")

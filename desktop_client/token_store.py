"""Where the client keeps its tokens: the OS keyring when one is usable, else a file only its owner can read."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Protocol

from desktop_client.tokens import StoredTokens

SERVICE = "kick-oauth-proxy-desktop-client"
TOKEN_FILE_ENV = "KICK_DESKTOP_TOKEN_FILE"  # noqa: S105 (a variable name)


class TokenStore(Protocol):
    description: str

    def load(self) -> StoredTokens | None: ...

    def save(self, tokens: StoredTokens) -> None: ...

    def clear(self) -> None: ...


class FileTokenStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"file {path} (mode 0600)"

    def load(self) -> StoredTokens | None:
        try:
            return StoredTokens.from_json(json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None

    def save(self, tokens: StoredTokens) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkstemp creates the file 0600 from the start; replacing makes the write atomic.
        descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                json.dump(tokens.as_json(), file)
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


class KeyringTokenStore:
    def __init__(self, keyring: Any, account: str) -> None:
        self._keyring = keyring
        self._account = account
        self.description = f"OS keyring ({type(keyring.get_keyring()).__name__}, service {SERVICE})"

    def load(self) -> StoredTokens | None:
        value = self._keyring.get_password(SERVICE, self._account)
        return StoredTokens.from_json(json.loads(value)) if value else None

    def save(self, tokens: StoredTokens) -> None:
        self._keyring.set_password(SERVICE, self._account, json.dumps(tokens.as_json()))

    def clear(self) -> None:
        with contextlib.suppress(Exception):  # keyring raises PasswordDeleteError when nothing is stored
            self._keyring.delete_password(SERVICE, self._account)


def open_store(choice: str, account: str, token_file: Path | None = None) -> TokenStore:
    """`auto`: the keyring when importable and backed by a real store, else the file; a token file forces the file."""
    if token_file is None and os.environ.get(TOKEN_FILE_ENV):
        token_file = Path(os.environ[TOKEN_FILE_ENV])
    if choice != "file" and token_file is None:
        keyring = usable_keyring()
        if keyring is not None:
            return KeyringTokenStore(keyring, account)
        if choice == "keyring":
            raise RuntimeError("no usable OS keyring (install the `keyring` package and a backend)")
    return FileTokenStore(token_file or default_token_file())


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

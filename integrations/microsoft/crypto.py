"""Tokens at rest: Fernet encryption with several keys, so keys can be rotated without losing sign-ins."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from integrations.microsoft.errors import ClientConfigurationError, ReauthenticationRequired


def encrypt(data: bytes, keys: Sequence[str]) -> str:
    """Encrypt with the newest key (`keys`: the configuration's TOKEN_ENCRYPTION_KEY list, newest first)."""
    return _fernet(keys).encrypt(data).decode("ascii")


def decrypt(token: str, keys: Sequence[str]) -> bytes:
    """Decrypt with whichever configured key made it.

    A blob no key opens (its key was retired, or it was tampered with) is as good as no sign-in,
    so it raises `ReauthenticationRequired`.
    """
    try:
        return _fernet(keys).decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        raise ReauthenticationRequired(
            "The stored sign-in cannot be decrypted with the current keys.", code="token_undecryptable"
        ) from None


def rotate(token: str, keys: Sequence[str]) -> str:
    """Re-encrypt a blob under the newest key (for a key-rotation sweep)."""
    try:
        return _fernet(keys).rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError):
        raise ReauthenticationRequired(
            "The stored sign-in cannot be decrypted with the current keys.", code="token_undecryptable"
        ) from None


def _fernet(keys: Sequence[str]) -> MultiFernet:
    chosen = list(keys)
    if not chosen:
        raise ClientConfigurationError("TOKEN_ENCRYPTION_KEY is not set.", code="no_encryption_key")
    try:
        return MultiFernet([Fernet(key) for key in chosen])
    except ValueError as exc:
        raise ClientConfigurationError(
            f"TOKEN_ENCRYPTION_KEY holds a key that is not a Fernet key: {exc}", code="bad_encryption_key"
        ) from None

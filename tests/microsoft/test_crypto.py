"""Tokens at rest are encrypted, and keys can be rotated without signing anyone out."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from integrations.microsoft.crypto import decrypt, encrypt, rotate
from integrations.microsoft.errors import ClientConfigurationError, ReauthenticationRequired

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_it_round_trips_with_the_configured_key() -> None:
    keys = settings.TOKEN_ENCRYPTION_KEYS
    blob = encrypt(b'{"RefreshToken": {}}', keys)

    assert b"RefreshToken" not in blob.encode() and decrypt(blob, keys) == b'{"RefreshToken": {}}'


def test_a_blob_from_a_retired_key_still_opens_after_rotation() -> None:
    blob = encrypt(b"secret", [OLD])

    assert decrypt(blob, [NEW, OLD]) == b"secret"


def test_rotation_re_encrypts_under_the_newest_key() -> None:
    rotated = rotate(encrypt(b"secret", [OLD]), [NEW, OLD])

    assert decrypt(rotated, [NEW]) == b"secret"


def test_a_blob_no_key_opens_means_signing_in_again() -> None:
    with pytest.raises(ReauthenticationRequired):
        decrypt(encrypt(b"secret", [OLD]), [NEW])


def test_a_missing_or_malformed_key_is_a_configuration_error() -> None:
    with pytest.raises(ClientConfigurationError):
        encrypt(b"x", [])
    with pytest.raises(ClientConfigurationError):
        encrypt(b"x", ["not-a-key"])

"""Encryption of third-party secrets at rest (Fernet through MultiFernet).

`FIELD_ENCRYPTION_KEYS` is a list of Fernet keys, newest first: new values are encrypted
with the first, and any of them decrypts, so keys rotate without downtime
(`manage.py rotate_encryption_keys` re-encrypts everything under the newest key).
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret could not be decrypted with any configured key."""


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.FIELD_ENCRYPTION_KEYS if k and k.strip()]
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:  # never echo key material
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds an invalid Fernet key.") from exc


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("The stored secret cannot be decrypted with the configured keys.") from None


def rotate(token: str) -> str:
    """Re-encrypt `token` under the newest key."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("The stored secret cannot be decrypted with the configured keys.") from None

"""Secrets: passwords hashed with argon2id (argon2-cffi's defaults, RFC 9106's low-memory choice), and API tokens,
random and stored only as their SHA-256 digest (a token is 256 random bits, so a slow hash adds nothing)."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "fdk_"
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _decoy() -> str:
    return hash_password(secrets.token_hex(16))


def spend_a_verification(password: str) -> None:
    """Takes as long as checking a password, for a name with no account, so timing does not tell which exist."""
    verify_password(_decoy(), password)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()

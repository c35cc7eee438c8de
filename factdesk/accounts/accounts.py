"""Accounts over a store: adding users, checking passwords, issuing and revoking API tokens, changing roles."""

from __future__ import annotations

import re

from factdesk.accounts.passwords import (
    TOKEN_PREFIX,
    hash_password,
    new_token,
    spend_a_verification,
    token_digest,
    verify_password,
)
from factdesk.accounts.roles import ROLES
from factdesk.errors import FactdeskError
from factdesk.store import StoreBackend, StoredUser

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 10


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise FactdeskError(
            f"user name {name!r}: use 1 to 64 letters, digits and . _ @ - (starting with a letter or digit)"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise FactdeskError(f"role {role!r}: one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise FactdeskError(f"the password must have at least {MIN_PASSWORD} characters")
    return password


class Accounts:
    """The store's users. Passwords are kept as argon2 hashes, tokens as SHA-256 digests; neither in plain text."""

    def __init__(self, store: StoreBackend) -> None:
        self.store = store

    def add(self, name: str, role: str, password: str) -> StoredUser:
        self.store.add_user(check_name(name), check_role(role), hash_password(check_password(password)))
        return self.get(name)

    def get(self, name: str) -> StoredUser:
        user = self.store.user(name)
        if user is None:
            raise FactdeskError(f"no user named {name!r}")
        return user

    def active(self, name: str) -> StoredUser | None:
        """The user, if the account exists and is not disabled."""
        user = self.store.user(name)
        return user if user is not None and user.active else None

    def authenticate(self, name: str, password: str) -> StoredUser | None:
        """The user, if ``password`` is theirs and the account is active."""
        return self.verify(self.find(name), password)

    def find(self, name: str) -> StoredUser | None:
        """The account named ``name`` (in any case), active or not."""
        return self.store.user(name) if NAME.fullmatch(name) else None

    @staticmethod
    def verify(user: StoredUser | None, password: str) -> StoredUser | None:
        """``user`` if ``password`` is theirs and the account is active; as slow for no account as for one (argon2
        takes a while, so a server checks outside any lock it holds on the store)."""
        if user is None:
            spend_a_verification(password)
            return None
        return user if verify_password(user.password_hash, password) and user.active else None

    def issue_token(self, name: str) -> str:
        """A new API token for ``name``; only its digest is stored, so this is the one time it is seen."""
        token = new_token()
        self.store.add_token(name, token_digest(token))
        return token

    def revoke_tokens(self, name: str) -> int:
        return self.store.revoke_tokens(name)

    def bearer(self, token: str) -> StoredUser | None:
        """The active user whose live token this is."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        user = self.store.token_user(token_digest(token))
        return user if user is not None and user.active else None

    def change(
        self, name: str, role: str | None = None, password: str | None = None, disabled: bool | None = None
    ) -> StoredUser:
        user = self.get(name)
        self.store.update_user(
            user.name,
            role=None if role is None else check_role(role),
            password_hash=None if password is None else hash_password(check_password(password)),
            disabled=disabled,
        )
        return self.get(name)

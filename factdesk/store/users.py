"""The newsroom's accounts in the store: users (name, role, password hash), their API tokens (stored as SHA-256
digests), each fact-check's sign-off history, and audit entries for what changes nothing else (a login)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from factdesk.errors import FactdeskError
from factdesk.store.audit import actor, audit, now
from factdesk.store.base import StoreBase


@dataclass(frozen=True, slots=True)
class StoredUser:
    name: str
    role: str
    password_hash: str
    created_at: str
    disabled_at: str | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def user_from_row(row: Mapping[str, Any]) -> StoredUser:
    """A user from its ``users`` row (either backend's)."""
    return StoredUser(row["name"], row["role"], row["password_hash"], row["created_at"], row["disabled_at"])


def user_changes(role: str | None, password_hash: str | None, disabled: bool | None) -> dict[str, object]:
    """The columns an update sets, and so what its audit entry says (never the hash itself)."""
    changes: dict[str, object] = {}
    if role is not None:
        changes["role"] = role
    if password_hash is not None:
        changes["password_hash"] = password_hash
    if disabled is not None:
        changes["disabled_at"] = now() if disabled else None
    if not changes:
        raise FactdeskError("nothing to change: give a role, a password, or disable or enable the user")
    return changes


def change_detail(name: str, changes: dict[str, object]) -> dict[str, object]:
    detail: dict[str, object] = {"user": name}
    if "role" in changes:
        detail["role"] = changes["role"]
    if "password_hash" in changes:
        detail["password"] = "changed"
    if "disabled_at" in changes:
        detail["disabled"] = changes["disabled_at"] is not None
    return detail


USER_COLUMNS = "u.name, u.role, u.password_hash, u.created_at, u.disabled_at"


class Users(StoreBase):
    def add_user(self, name: str, role: str, password_hash: str) -> None:
        """Adds a user; a name already taken (in any case) is an error."""
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise FactdeskError(f"a user named {name!r} already exists")
            conn.execute(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES (?,?,?,?)",
                (name, role, password_hash, now()),
            )
            audit(conn, "user-add", {"user": name, "role": role})

    def user(self, name: str) -> StoredUser | None:
        row = self._conn.execute(f"SELECT {USER_COLUMNS} FROM users u WHERE u.name = ?", (name,)).fetchone()
        return user_from_row(row) if row else None

    def users(self) -> list[StoredUser]:
        return [user_from_row(row) for row in self._conn.execute(f"SELECT {USER_COLUMNS} FROM users u ORDER BY id")]

    def update_user(
        self, name: str, role: str | None = None, password_hash: str | None = None, disabled: bool | None = None
    ) -> None:
        changes = user_changes(role, password_hash, disabled)
        with self.transaction() as conn:
            stored = self._name(conn, name)
            assignments = ", ".join(f"{column} = ?" for column in changes)
            conn.execute(f"UPDATE users SET {assignments} WHERE name = ?", (*changes.values(), stored))
            audit(conn, "user-change", change_detail(stored, changes))

    @staticmethod
    def _name(conn: sqlite3.Connection, name: str) -> str:
        """The stored spelling of user ``name`` (matched in any case)."""
        row = conn.execute("SELECT name FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise FactdeskError(f"no user named {name!r}")
        return str(row[0])

    def add_token(self, name: str, token_hash: str) -> int:
        """Records a new API token of user ``name`` by its digest; returns its id."""
        with self.transaction() as conn:
            stored = self._name(conn, name)
            token_id = conn.execute(
                "INSERT INTO user_tokens (user_id, token_hash, created_at) SELECT id, ?, ? FROM users WHERE name = ?",
                (token_hash, now(), stored),
            ).lastrowid
            audit(conn, "token-create", {"user": stored, "token": token_id})
        assert token_id is not None
        return token_id

    def token_user(self, token_hash: str) -> StoredUser | None:
        """The user whose unrevoked token has this digest."""
        row = self._conn.execute(
            f"SELECT {USER_COLUMNS} FROM user_tokens t JOIN users u ON u.id = t.user_id"
            " WHERE t.token_hash = ? AND t.revoked_at IS NULL",
            (token_hash,),
        ).fetchone()
        return user_from_row(row) if row else None

    def revoke_tokens(self, name: str) -> int:
        """Revokes every token of user ``name``; returns how many were live."""
        with self.transaction() as conn:
            stored = self._name(conn, name)
            revoked = conn.execute(
                "UPDATE user_tokens SET revoked_at = ? WHERE revoked_at IS NULL"
                " AND user_id = (SELECT id FROM users WHERE name = ?)",
                (now(), stored),
            ).rowcount
            audit(conn, "token-revoke", {"user": stored, "revoked": revoked})
        return revoked

    def add_signoff(self, check_id: int, action: str, state: str, note: str = "") -> None:
        """Records a fact-check's move to ``state`` by the acting user (``audit.acting_as``)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO signoffs (factcheck_id, state, actor, at, note) VALUES (?,?,?,?,?)",
                (check_id, state, actor(), now(), note),
            )
            audit(conn, action, {"factcheck": check_id, "state": state, "note": note})

    def signoffs(self, check_id: int) -> list[dict[str, object]]:
        """A fact-check's sign-off history, oldest first: state, actor, at, note."""
        rows = self._conn.execute(
            "SELECT state, actor, at, note FROM signoffs WHERE factcheck_id = ? ORDER BY id", (check_id,)
        )
        return [dict(row) for row in rows]

    def signoff_states(self) -> dict[int, str]:
        """The state of each fact-check that has been signed off or published: "published" if it has a
        publication, else the state it was last signed off to."""
        rows = self._conn.execute(
            "SELECT factcheck_id, state FROM signoffs WHERE id IN (SELECT MAX(id) FROM signoffs GROUP BY factcheck_id)"
        ).fetchall()
        published = self._conn.execute("SELECT DISTINCT factcheck_id FROM publications").fetchall()
        return {**{row[0]: row[1] for row in rows}, **{row[0]: "published" for row in published}}

    def record(self, action: str, detail: dict[str, object]) -> None:
        """An audit entry for an event that changes no other table (a login, a check started)."""
        with self.transaction() as conn:
            audit(conn, action, detail)

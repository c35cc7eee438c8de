"""The newsroom's roles and what each may do. A reporter drafts (starts checks and sends them for review), an
editor reviews (assigns checks, curates their evidence and re-runs them, adds documents to the corpus, edits
justifications, rules over the model, and sends a check back to its reporter), a chief editor approves, publishes and
corrects, and an admin manages users and may do everything."""

from __future__ import annotations

from typing import Literal

Role = Literal["reporter", "editor", "chief-editor", "admin"]
ROLES: tuple[Role, ...] = ("reporter", "editor", "chief-editor", "admin")
ROLE_NAMES: dict[str, str] = {
    "reporter": "a reporter",
    "editor": "an editor",
    "chief-editor": "a chief editor",
    "admin": "an admin",
}

Action = Literal[
    "read",
    "check",
    "submit",
    "assign",
    "curate",
    "ingest",
    "edit",
    "return",
    "approve",
    "publish",
    "correct",
    "manage-users",
]
EDITORS: frozenset[Role] = frozenset({"editor", "chief-editor", "admin"})
# action → (the roles that may take it, what it is, for a refusal: "a reporter may not <what>")
PERMISSIONS: dict[Action, tuple[frozenset[Role], str]] = {
    "read": (frozenset(ROLES), "read the desk"),
    "check": (frozenset(ROLES), "start a check"),
    "submit": (frozenset(ROLES), "send a fact-check for review"),
    "assign": (EDITORS, "assign a fact-check"),
    "curate": (EDITORS, "curate a fact-check's evidence and re-run it"),
    "ingest": (EDITORS, "add documents to the corpus"),
    "edit": (EDITORS, "edit a fact-check's justification or rule on it"),
    "return": (EDITORS, "send a fact-check back to draft"),
    "approve": (frozenset({"chief-editor", "admin"}), "approve a fact-check for publishing"),
    "publish": (frozenset({"chief-editor", "admin"}), "publish a fact-check"),
    "correct": (frozenset({"chief-editor", "admin"}), "publish a correction"),
    "manage-users": (frozenset({"admin"}), "manage users"),
}


def may(role: str, action: Action) -> bool:
    return role in PERMISSIONS[action][0]


def allowed_actions(role: str) -> frozenset[Action]:
    return frozenset(action for action in PERMISSIONS if may(role, action))


def refusal(name: str, role: str, action: Action) -> str:
    """Why ``name`` may not take ``action``, and who may."""
    roles, what = PERMISSIONS[action]
    who = " or ".join(ROLE_NAMES[r] for r in ROLES if r in roles)
    return f"{name} is {ROLE_NAMES.get(role, role)}, who may not {what}; that takes {who}."

"""Sign-off before publishing: a fact-check is a draft, is sent for review, is approved by a chief editor, and only
then published. Each move is kept in the store's append-only sign-off history, with who made it and when; a
published check's state comes from its publications."""

from __future__ import annotations

from typing import Literal

from factdesk.errors import FactdeskError
from factdesk.store import StoreBackend

State = Literal["draft", "in-review", "approved", "published"]
STATE_NAMES: dict[str, str] = {
    "draft": "a draft",
    "in-review": "in review",
    "approved": "approved",
    "published": "published",
}
Move = Literal["submit", "return", "approve"]
# move → (the states it starts from, the state it leads to, the audit log's name for it, what it does)
MOVES: dict[Move, tuple[tuple[State, ...], State, str, str]] = {
    "submit": (("draft",), "in-review", "submit-for-review", "sent for review"),
    "return": (("in-review", "approved"), "draft", "return-to-draft", "sent back to draft"),
    "approve": (("in-review",), "approved", "approve", "approved"),
}


class SignOff:
    def __init__(self, store: StoreBackend) -> None:
        self.store = store

    def state(self, check_id: int) -> State:
        self.store.factcheck(check_id)  # an unknown id is an error, not a draft
        if self.store.publications(check_id=check_id):
            return "published"
        history = self.store.signoffs(check_id)
        return history[-1]["state"] if history else "draft"  # type: ignore[return-value]

    def states(self) -> dict[int, State]:
        """The state of every fact-check that is not a draft."""
        found = self.store.signoff_states()
        return {check_id: state for check_id, state in found.items() if state != "draft"}  # type: ignore[misc]

    def move(self, check_id: int, move: Move, note: str = "") -> State:
        """Makes ``move`` (as the acting user: ``store.acting_as``) if the check's state allows it."""
        starts, state, action, done = MOVES[move]
        now = self.state(check_id)
        if now not in starts:
            when = " or ".join(STATE_NAMES[s] for s in starts)
            raise FactdeskError(f"fact-check {check_id} is {STATE_NAMES[now]}; it can be {done} only when {when}")
        if move == "submit":
            revisions = self.store.revisions(check_id)
            unsupported = revisions[-1]["flags"] if revisions else []
            if unsupported:
                raise FactdeskError(
                    f"fact-check {check_id}'s justification has {len(unsupported)} sentence(s) its evidence does not"
                    " support; edit them (each must cite a span its evidence bears out) before sending it for review"
                )
        self.store.add_signoff(check_id, action, state, note.strip())
        return state

    def require_approved(self, check_id: int) -> None:
        """Refuses to publish a check that no chief editor approved (a published one is published again as is)."""
        state = self.state(check_id)
        if state not in ("approved", "published"):
            raise FactdeskError(
                f"fact-check {check_id} is {STATE_NAMES[state]}; a chief editor approves it before it is published"
            )

"""The newsroom's accounts: roles and what each may do, argon2 password hashes, per-user API tokens."""

from factdesk.accounts.accounts import Accounts
from factdesk.accounts.roles import PERMISSIONS, ROLE_NAMES, ROLES, Action, Role, allowed_actions, may, refusal

__all__ = ["PERMISSIONS", "ROLES", "ROLE_NAMES", "Accounts", "Action", "Role", "allowed_actions", "may", "refusal"]

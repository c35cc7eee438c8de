"""``factdesk user``: the workbench's accounts (add, list, set, token), kept in the store."""

from __future__ import annotations

import sys

import click

from factdesk.accounts import ROLES, Accounts
from factdesk.cli.context import Context
from factdesk.errors import FactdeskError


def _password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or typed twice at a prompt (not echoed)."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise FactdeskError("--password-stdin: no password on stdin")
        return line
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group()
def user() -> None:
    """Manage the workbench's users: reporter, editor, chief-editor or admin (see `factdesk serve`)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do on the workbench.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin's first line, not a prompt.")
@click.pass_obj
def add_user(obj: Context, name: str, role: str, password_stdin: bool) -> None:
    """Add user NAME with ROLE; the password (at least 10 characters) is stored only as its argon2 hash.

    The first admin is made this way: `factdesk user add NAME --role admin`, then sign in to `factdesk serve`.
    """
    password = _password(password_stdin)
    with obj.desk(create=True) as desk:
        added = Accounts(desk.store).add(name, role, password)
    click.echo(f"Added {added.name} ({added.role}).")


@user.command("list")
@click.pass_obj
def list_users(obj: Context) -> None:
    """List the users: name, role, since when, and whether disabled."""
    with obj.desk() as desk:
        users = desk.store.users()
    if not users:
        click.echo("No users yet: `factdesk user add NAME --role admin` adds the first admin.")
    for found in users:
        click.echo("\t".join([found.name, found.role, found.created_at] + ([] if found.active else ["disabled"])))


@user.command("set")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), help="A new role.")
@click.option("--password", "new_password", is_flag=True, help="Set a new password (prompted).")
@click.option("--password-stdin", is_flag=True, help="Set a new password, read from stdin's first line.")
@click.option("--disable/--enable", default=None, help="Disable the account (it can no longer sign in), or enable.")
@click.pass_obj
def set_user(
    obj: Context, name: str, role: str | None, new_password: bool, password_stdin: bool, disable: bool | None
) -> None:
    """Change user NAME's role or password, or disable or enable the account."""
    password = _password(password_stdin) if new_password or password_stdin else None
    with obj.desk(write=True) as desk:
        changed = Accounts(desk.store).change(name, role=role, password=password, disabled=disable)
    click.echo(f"{changed.name}: {changed.role}{'' if changed.active else ', disabled'}.")


@user.command("token")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="Revoke every API token of NAME instead.")
@click.pass_obj
def token(obj: Context, name: str, revoke: bool) -> None:
    """Create an API token for NAME (for the JSON API: `Authorization: Bearer TOKEN`), shown this once: only its
    hash is stored. With --revoke, every token of NAME stops working."""
    with obj.desk(write=True) as desk:
        accounts = Accounts(desk.store)
        if revoke:
            click.echo(f"Revoked {accounts.revoke_tokens(name)} token(s) of {accounts.get(name).name}.")
            return
        issued = accounts.issue_token(name)
    click.echo(issued)
    click.echo("Keep it secret; it is shown only this once.", err=True)

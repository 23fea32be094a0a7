"""Accounts: console users and Open311 API clients."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from core.settings import get_settings
from lapor import operations
from lapor.cli.common import fail, out

admin_app = typer.Typer(help="Console accounts.", no_args_is_help=True)
open311_app = typer.Typer(help="Open311 API clients (api_key).", no_args_is_help=True)


PASSWORD_STDIN = typer.Option(
    "--password-stdin",
    help="Read the password from the first line of standard input (scripts); "
    "without it the password is asked for, hidden, twice.",
)


def _new_password(from_stdin: bool) -> str:
    """A new password, never from the command line (shell history, `ps`)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Kata sandi", hide_input=True, confirmation_prompt="Ulangi kata sandi")


@admin_app.command("create-user")
def create_user(
    username: str,
    role: Annotated[
        str, typer.Option(help="national_admin | regional_coordinator | agency_liaison")
    ],
    scope: Annotated[
        str | None,
        typer.Option(
            help="A coordinator's province or regency code (63 or 63.03); a liaison's unit "
            "id (kabupaten_kota:63.03:pdam). Checked against the regions and taxonomy."
        ),
    ] = None,
    password_stdin: Annotated[bool, PASSWORD_STDIN] = False,
) -> None:
    """Create a console account (argon2-hashed password, checked for strength)."""
    from casestore.users import UserError

    password = _new_password(password_stdin)
    try:
        user = operations.users(get_settings()).create(username, password, role, scope)
    except UserError as exc:
        raise fail(str(exc)) from None
    out.print(f"created {user.username} ({user.role}{', ' + user.scope if user.scope else ''})")


@admin_app.command("set-password")
def set_password(username: str, password_stdin: Annotated[bool, PASSWORD_STDIN] = False) -> None:
    """Give an account a new password; its sessions end."""
    _account_change("set_password", username, _new_password(password_stdin))
    out.print(f"new password set for {username}; its sessions are ended")


def _account_change(action: str, username: str, *args: str | None) -> None:
    """Run one UserStore change (each ends every session of the user)."""
    from casestore.users import UserError

    try:
        getattr(operations.users(get_settings()), action)(username, *args)
    except UserError as exc:
        raise fail(str(exc)) from None


@admin_app.command("lock-user")
def lock_user(username: str) -> None:
    """Disable an account and end its sessions at once (until unlock-user)."""
    _account_change("lock", username)
    out.print(f"locked {username}; its sessions are ended")


@admin_app.command("unlock-user")
def unlock_user(username: str) -> None:
    """Allow a locked account to log in again."""
    _account_change("unlock", username)
    out.print(f"unlocked {username}")


@admin_app.command("set-role")
def set_role(
    username: str,
    role: Annotated[
        str, typer.Option(help="national_admin | regional_coordinator | agency_liaison")
    ],
    scope: Annotated[
        str | None,
        typer.Option(help="Region code (63 or 63.03) for a coordinator, unit id for a liaison."),
    ] = None,
) -> None:
    """Change an account's role and scope; its sessions end (log in again)."""
    _account_change("set_role", username, role, scope)
    out.print(f"{username} is now {role}{', ' + scope if scope else ''}; its sessions are ended")


@admin_app.command("end-sessions")
def end_user_sessions(username: str) -> None:
    """Log an account out everywhere (a lost laptop, a copied cookie)."""
    _account_change("end_sessions", username)
    out.print(f"every session of {username} is ended")


@open311_app.command("add-client")
def open311_add_client(
    name: Annotated[str, typer.Argument(help="Client name, e.g. aplikasi-warga-kota-x.")],
    by: Annotated[str, typer.Option(help="The national admin registering it (audit).")],
) -> None:
    """Register an Open311 client; prints its api_key once (only its hash is kept)."""
    from casestore.api_clients import ApiClientError

    try:
        key = operations.api_clients(get_settings()).add(name, created_by=by)
    except ApiClientError as exc:
        raise fail(str(exc)) from None
    out.print(json.dumps({"client": name, "api_key": key}))


@open311_app.command("revoke")
def open311_revoke(name: str) -> None:
    """Stop a client's api_key at once."""
    from casestore.api_clients import ApiClientError

    try:
        operations.api_clients(get_settings()).revoke(name)
    except ApiClientError as exc:
        raise fail(str(exc)) from None
    out.print(f"revoked {name}")


@open311_app.command("clients")
def open311_clients() -> None:
    """Active clients: name, who registered it, when."""
    for client in operations.api_clients(get_settings()).active():
        out.print(f"{client.name}\t{client.created_by}\t{client.created_at:%Y-%m-%d %H:%M}")

"""Reporters' personal data: erase an identity on request, or what is past retention."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from core.settings import get_settings
from lapor import operations
from lapor.cli.common import fail, out

privacy_app = typer.Typer(
    help="Reporters' identities: erase on request, retention.", no_args_is_help=True
)


@privacy_app.command("erase")
def erase(
    case_id: str,
    reason: Annotated[str, typer.Option(help="Why (e.g. the request's reference); audited")],
    by: Annotated[str, typer.Option(help="Who asked for it, for the audit trail")] = "operator",
) -> None:
    """Erase one case's reporter identity now (a data subject's request, UU 27/2022).

    The case goes on without contact: notifications still to be sent are dropped.
    The masked text, the routing and the figures stay."""
    store = operations.cases(get_settings())
    if store.cases.count_documents({"_id": case_id}, limit=1) == 0:
        raise fail(f"no case {case_id}")
    try:
        erased = store.erase_identity(case_id, by, reason, datetime.now(UTC))
    except ValueError as exc:
        raise fail(str(exc)) from None
    out.print_json(json.dumps({"case_id": case_id, "erased": erased}))


@privacy_app.command("erase-expired")
def erase_expired() -> None:
    """Erase every identity past LAPOR_IDENTITY_RETENTION_DAYS after its case closed
    (what the worker does every hour), now."""
    settings = get_settings()
    store = operations.cases(settings)
    n = store.erase_expired_identities(datetime.now(UTC), settings.identity_retention_days)
    out.print_json(json.dumps({"erased": n, "retention_days": settings.identity_retention_days}))

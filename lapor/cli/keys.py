"""Reporter identity keys: generate, rotate, retire."""

from __future__ import annotations

import json

import typer

from core.settings import get_settings
from lapor import operations
from lapor.cli.common import fail, out

keys_app = typer.Typer(help="Reporter identity keys: rotate, retire.", no_args_is_help=True)


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new reporter key (for LAPOR_REPORTER_KEY; the key file needs none)."""
    from cryptography.fernet import Fernet

    print(Fernet.generate_key().decode())


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Put a new reporter key first, then re-seal every stored identity with it.

    With the key file the new key is generated into it. With LAPOR_REPORTER_KEY,
    put the new key first there ("new,old"; `lapor keys generate`) and run this to
    re-seal. Restart the web processes then: they seal with the key they loaded.
    """
    from core.privacy import rotate_key_file

    settings = get_settings()
    if not settings.reporter_key:
        rotate_key_file(settings.reporter_key_file)
    result = operations.reseal(settings)
    if result["keys"] < 2:
        out.print("[yellow]only one key: nothing to rotate from[/]", highlight=False)
    out.print_json(json.dumps(result))


@keys_app.command("retire")
def keys_retire() -> None:
    """Drop the old reporter keys once no stored identity needs them.

    Refused while a stored case is still sealed with an old key (run `lapor keys
    rotate` again after restarting the web processes). Complaints still waiting
    on the intake topic sealed with an old key cannot be opened after this:
    retire once the worker has caught up.
    """
    from core.privacy import retire_old_keys

    settings = get_settings()
    result = operations.reseal(settings)
    if result["resealed"]:
        raise fail(
            f"{result['resealed']} identities were still sealed with an old key and have "
            "just been re-sealed; restart the web processes that seal with it, then retire again"
        )
    if settings.reporter_key:
        out.print("remove the old keys from LAPOR_REPORTER_KEY: no stored case needs them")
        dropped = 0
    else:
        dropped = retire_old_keys(settings.reporter_key_file)
    out.print_json(json.dumps({**result, "retired": dropped}))

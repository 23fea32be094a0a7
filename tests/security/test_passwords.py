"""Console passwords and scopes (issue 15, weaker spots): weak and over-long
passwords and unknown scopes are refused with an Indonesian reason, and
`lapor admin create-user` never takes the password on its command line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from casestore.passwords import MAX_LENGTH
from casestore.store import connect
from casestore.users import UserError, UserStore
from core.settings import get_settings
from lapor import stack
from lapor.cli import app
from tests.security.console import lapor_admin, unique

pytestmark = pytest.mark.integration
STRONG = "Sembilan-Burung-Kenari-7"


@pytest.fixture(scope="module")
def users(stack_settings) -> UserStore:
    db = connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    return UserStore(db)


@pytest.mark.parametrize(
    "password",
    ["password123", "qwerty12345", "rahasia123", "merdeka1945", "bismillah123", "1234567890ab"],
)
def test_common_passwords_are_refused(users, password):
    with pytest.raises(UserError, match="terlalu lemah"):
        users.create(unique("sandi"), password, "national_admin")


def test_a_password_made_of_the_username_is_refused(users):
    with pytest.raises(UserError, match="terlalu lemah"):
        users.create("budi-santoso", "budisantoso1", "national_admin")


def test_length_limits(users):
    with pytest.raises(UserError, match="terlalu pendek: minimal 10"):
        users.create(unique("sandi"), "Xq7#kP2!", "national_admin")
    with pytest.raises(UserError, match=f"terlalu panjang: maksimal {MAX_LENGTH}"):
        users.create(unique("sandi"), "Kenari-" + "x9" * MAX_LENGTH, "national_admin")
    longest = ("Burung-Kenari-Sembilan-" * 6)[: MAX_LENGTH - 2] + "!7"
    assert len(longest) == MAX_LENGTH
    users.create(unique("sandi"), longest, "national_admin")


def test_a_new_password_is_checked_too(users):
    name = unique("sandi")
    users.create(name, STRONG, "national_admin")
    with pytest.raises(UserError, match="terlalu lemah"):
        users.set_password(name, "password123")
    users.set_password(name, "Kenari-Sembilan-Burung-8")
    users.authenticate(name, "Kenari-Sembilan-Burung-8", address="192.0.2.20")


@pytest.mark.parametrize(
    "role, scope, stored",
    [
        ("regional_coordinator", "63", "63"),
        ("regional_coordinator", "63.03", "63.03"),
        ("regional_coordinator", "6303", "63.03"),  # was stored raw: a province that is none
        ("agency_liaison", "kabupaten_kota:63.03:pdam", "kabupaten_kota:63.03:pdam"),
        ("agency_liaison", "provinsi:63:dinas_pupr", "provinsi:63:dinas_pupr"),
        ("agency_liaison", "pusat:ID:pln", "pusat:ID:pln"),
    ],
)
def test_known_scopes_are_accepted(users, role, scope, stored):
    assert users.create(unique("cakupan"), STRONG, role, scope).scope == stored


@pytest.mark.parametrize(
    "role, scope, reason",
    [
        ("regional_coordinator", "99", "bukan kode provinsi atau kabupaten/kota"),
        ("regional_coordinator", "63.99", "bukan kode provinsi atau kabupaten/kota"),
        ("regional_coordinator", "Kalimantan", "bukan kode provinsi atau kabupaten/kota"),
        ("agency_liaison", "kabupaten_kota:63.03:tidak_ada", "bukan unit yang dikenal"),
        ("agency_liaison", "kabupaten_kota:63:pdam", "bukan unit yang dikenal"),
        ("agency_liaison", "provinsi:63.03:pdam", "bukan unit yang dikenal"),
        ("agency_liaison", "desa:63.03:pdam", "bukan unit yang dikenal"),
        ("agency_liaison", "pusat:63:pln", "bukan unit yang dikenal"),
        ("agency_liaison", "pdam", "bukan unit yang dikenal"),
        ("agency_liaison", None, "memerlukan --scope"),
        ("national_admin", "63", "jangan beri --scope"),
        ("superadmin", None, "tidak dikenal"),
    ],
)
def test_unknown_scopes_are_refused(users, role, scope, reason):
    with pytest.raises(UserError, match=reason):
        users.create(unique("cakupan"), STRONG, role, scope)


def test_a_new_role_is_checked_too(users):
    name = unique("cakupan")
    users.create(name, STRONG, "national_admin")
    with pytest.raises(UserError, match="bukan kode provinsi"):
        users.set_role(name, "regional_coordinator", "99")
    assert users.get(name).role == "national_admin"


def test_create_user_takes_no_password_on_the_command_line(stack_settings):
    done = lapor_admin(
        stack_settings,
        "create-user",
        unique("cli"),
        "--role",
        "national_admin",
        "--password",
        STRONG,
    )
    assert done.returncode == 2 and "--password" in done.stderr  # click's usage error


def test_create_user_reads_the_password_from_stdin_for_scripts(stack_settings, users):
    name = unique("cli")
    done = lapor_admin(
        stack_settings,
        "create-user",
        name,
        "--role",
        "regional_coordinator",
        "--scope",
        "6303",
        "--password-stdin",
        stdin=STRONG + "\n",
    )
    assert done.returncode == 0, done.stderr
    assert users.authenticate(name, STRONG, address="192.0.2.21").scope == "63.03"
    assert STRONG not in done.stdout + done.stderr


def test_create_user_refuses_a_weak_password_and_an_unknown_scope_in_indonesian(stack_settings):
    weak = lapor_admin(
        stack_settings,
        "create-user",
        unique("cli"),
        "--role",
        "national_admin",
        "--password-stdin",
        stdin="password123\n",
    )
    assert weak.returncode == 1 and "terlalu lemah" in weak.stderr
    scope = lapor_admin(
        stack_settings,
        "create-user",
        unique("cli"),
        "--role",
        "agency_liaison",
        "--scope",
        "kabupaten_kota:63.03:tidak_ada",
        "--password-stdin",
        stdin=STRONG + "\n",
    )
    assert scope.returncode == 1 and "bukan unit yang dikenal" in scope.stderr


def test_create_user_prompts_hidden_with_confirmation(stack_settings, users):
    """Interactive use: the password is asked twice and never echoed."""
    get_settings.cache_clear()  # the session's stack, not a settings object cached earlier
    runner, name = CliRunner(), unique("cli")
    args = ["admin", "create-user", name, "--role", "national_admin"]
    mismatch = runner.invoke(app, args, input=f"{STRONG}\nlain-sandi-xyz-9\n{STRONG}\n{STRONG}\n")
    assert mismatch.exit_code == 0, mismatch.output
    assert "Ulangi kata sandi" in mismatch.output and STRONG not in mismatch.output
    assert users.authenticate(name, STRONG, address="192.0.2.22").username == name

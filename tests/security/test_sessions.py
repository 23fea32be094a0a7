"""Sessions end on the server (issue 15, item 3): a copied cookie stops working
when its user logs out, is locked, gets a new password or a new role, and after
the idle timeout. The copied cookie is replayed against a second app instance,
as a thief would against another web process; time is the server's clock, moved
by the test (no sleeps)."""

from __future__ import annotations

import pytest

from casestore.store import connect
from casestore.users import UserStore
from lapor import stack
from tests.security.console import COOKIE, Clock, csrf, lapor_admin, login, make_client, unique

pytestmark = pytest.mark.integration
PASSWORD = "sandi-sesi-uji-7"


@pytest.fixture(scope="module")
def users(stack_settings) -> UserStore:
    return UserStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )


def replay(client, cookie: str):
    """The stolen cookie, sent by another client to another app instance."""
    client.cookies.clear()
    return client.get("/admin/triage", headers={"cookie": f"{COOKIE}={cookie}"})


def assert_sent_to_login(response) -> None:
    assert response.status_code == 303, response.status_code
    assert response.headers["location"] == "/login"


def logged_in(client, users: UserStore, role: str = "national_admin", scope=None) -> tuple:
    name = unique("sesi")
    users.create(name, PASSWORD, role, scope)
    assert login(client, name, PASSWORD).status_code == 303
    return name, client.cookies[COOKIE]


def test_a_copied_cookie_dies_on_logout(stack_settings, users):
    with make_client(stack_settings) as owner, make_client(stack_settings, "203.0.113.9") as thief:
        _, cookie = logged_in(owner, users)
        assert replay(thief, cookie).status_code == 200  # the theft works while the session lives
        token = csrf(owner, "/admin/triage")
        assert owner.post("/logout", data={"csrf_token": token}).status_code == 303
        assert_sent_to_login(replay(thief, cookie))


def test_logout_ends_every_session_of_the_user(stack_settings, users):
    with make_client(stack_settings) as first, make_client(stack_settings) as second:
        name, cookie = logged_in(first, users)
        assert login(second, name, PASSWORD).status_code == 303
        token = csrf(second, "/admin/triage")
        assert second.post("/logout", data={"csrf_token": token}).status_code == 303
        assert_sent_to_login(replay(first, cookie))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda users, name: users.lock(name), id="lock"),
        pytest.param(lambda users, name: users.set_password(name, "sandi-baru-sesi-9"), id="pw"),
        pytest.param(
            lambda users, name: users.set_role(name, "regional_coordinator", "35"), id="role"
        ),
    ],
)
def test_a_copied_cookie_dies_when_the_account_changes(stack_settings, users, change):
    with make_client(stack_settings) as owner, make_client(stack_settings, "203.0.113.9") as thief:
        name, cookie = logged_in(owner, users)
        assert replay(thief, cookie).status_code == 200
        change(users, name)  # what `lapor admin lock-user/set-password/set-role` runs
        assert_sent_to_login(replay(thief, cookie))
        assert_sent_to_login(owner.get("/admin/triage"))


@pytest.mark.parametrize(
    "command",
    [
        ["lock-user"],
        ["end-sessions"],
        ["set-role", "--role", "regional_coordinator", "--scope", "35"],
    ],
)
def test_the_operator_commands_end_the_sessions(stack_settings, users, command):
    with make_client(stack_settings) as owner, make_client(stack_settings, "203.0.113.9") as thief:
        name, cookie = logged_in(owner, users)
        done = lapor_admin(stack_settings, command[0], name, *command[1:])
        assert done.returncode == 0, done.stderr
        assert_sent_to_login(replay(thief, cookie))


def test_a_locked_account_cannot_log_in_again_until_unlocked(stack_settings, users):
    with make_client(stack_settings) as client:
        name, _ = logged_in(client, users)
        users.lock(name)
        assert login(client, name, PASSWORD).status_code == 401
        users.unlock(name)
        assert login(client, name, PASSWORD).status_code == 303


def test_an_idle_session_expires(stack_settings, users):
    clock = Clock()
    with make_client(stack_settings, clock=clock) as client:
        logged_in(client, users)
        for _ in range(3):  # activity keeps it alive: each request is a new start
            clock.advance(minutes=29)
            assert client.get("/admin/triage").status_code == 200
        clock.advance(minutes=30, seconds=1)
        assert_sent_to_login(client.get("/admin/triage"))


def test_the_idle_timeout_is_a_setting(stack_settings, users):
    clock = Clock()
    with make_client(stack_settings, clock=clock, session_idle_minutes=5) as client:
        logged_in(client, users)
        clock.advance(minutes=4)
        assert client.get("/admin/triage").status_code == 200
        clock.advance(minutes=5, seconds=1)
        assert_sent_to_login(client.get("/admin/triage"))


def test_an_active_session_still_ends_after_its_lifetime(stack_settings, users):
    clock = Clock()
    with make_client(stack_settings, clock=clock) as client:
        logged_in(client, users)
        for _ in range(int(stack_settings.session_hours * 60 / 20) - 1):
            clock.advance(minutes=20)
            assert client.get("/admin/triage").status_code == 200
        clock.advance(minutes=21)
        assert_sent_to_login(client.get("/admin/triage"))


def test_the_store_keeps_only_a_digest_of_the_session_token(stack_settings, users):
    with make_client(stack_settings) as client:
        name, cookie = logged_in(client, users)
    stored = list(users.users.database["sessions"].find({"user": name}))
    assert len(stored) == 1
    assert all(cookie not in str(value) for value in stored[0].values())

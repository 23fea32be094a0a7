"""Login throttling (issue 15, item 5): nobody can lock a real user out from
elsewhere, an address that tries many accounts is throttled, and nothing in the
answers, or in the work done for them, tells which accounts exist.

Time is the server's clock, moved by the test; "timing" is the number of
password-hash verifications each answer costs, counted on a real argon2 hasher
(no wall-clock measurement)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher

from casestore.store import connect
from casestore.throttle import ThrottlePolicy
from casestore.users import THROTTLED, WRONG, Throttled, UserError, UserStore
from lapor import stack
from tests.security.console import Clock, login, make_client, unique

pytestmark = pytest.mark.integration
PASSWORD = "sandi-kunci-uji-3"
FREE = ThrottlePolicy().free


@pytest.fixture(scope="module")
def db(stack_settings):
    return connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)


@pytest.fixture(scope="module")
def users(db) -> UserStore:
    return UserStore(db)


def account(users: UserStore) -> str:
    name = unique("kunci")
    users.create(name, PASSWORD, "national_admin")
    return name


def answer(response) -> tuple:
    """What a client can observe, less the per-response date and cookie signature."""
    headers = sorted((k, v) for k, v in response.headers.items() if k not in ("date", "set-cookie"))
    return response.status_code, headers, response.content


def test_unknown_and_locked_accounts_get_byte_identical_answers(stack_settings, users):
    """A locked (disabled) account answers like an unknown name, even to its right password."""
    locked = account(users)
    users.lock(locked)
    with make_client(stack_settings, "198.51.100.33", clock=Clock()) as client:
        unknown = answer(login(client, unique("tidak-ada"), PASSWORD))
        assert unknown[0] == 401 and WRONG.encode() in unknown[2]
        assert answer(login(client, locked, PASSWORD)) == unknown
        assert answer(login(client, locked, "salah-sandi-1")) == unknown


def test_throttled_unknown_and_real_accounts_get_byte_identical_answers(stack_settings, users):
    real, ghost = account(users), unique("tidak-ada")
    with make_client(stack_settings, "198.51.100.44", clock=Clock()) as client:
        first = [answer(login(client, name, "salah-sandi-1")) for name in (real, ghost)]
        assert first[0] == first[1] and first[0][0] == 401
        for _ in range(FREE - 1):
            assert login(client, real, "salah-sandi-1").status_code == 401
            assert login(client, ghost, "salah-sandi-1").status_code == 401
        throttled = [answer(login(client, name, "salah-sandi-1")) for name in (real, ghost)]
        assert throttled[0] == throttled[1]
        assert throttled[0][0] == 429 and b"Terlalu banyak percobaan" in throttled[0][2]
        assert dict(throttled[0][1])["retry-after"] == "60"


def test_an_attacker_elsewhere_cannot_lock_out_the_real_user(stack_settings, users):
    victim = account(users)
    with make_client(stack_settings, "198.51.100.66") as attacker:
        codes = Counter(login(attacker, victim, f"tebakan-{i}").status_code for i in range(12))
        assert codes[401] == FREE and codes[429] == 12 - FREE  # the attacker is slowed ...
    with make_client(stack_settings, "203.0.113.5") as owner:  # ... the owner is not
        assert login(owner, victim, PASSWORD).status_code == 303


def test_backoff_doubles_per_account_and_address_and_a_success_forgets_it(stack_settings, users):
    name, clock = account(users), Clock()
    with make_client(stack_settings, "198.51.100.55", clock=clock) as client:
        for _ in range(FREE):
            assert login(client, name, "salah-sandi-1").status_code == 401
        for wait in (60, 120, 240):
            r = login(client, name, PASSWORD)  # even the right password waits its turn
            assert r.status_code == 429 and r.headers["retry-after"] == str(wait)
            clock.advance(seconds=wait)
            assert login(client, name, "salah-sandi-1").status_code == 401
        clock.advance(minutes=8)
        assert login(client, name, PASSWORD).status_code == 303
        client.cookies.clear()
        assert login(client, name, "salah-sandi-1").status_code == 401  # a fresh start


def test_an_address_trying_many_accounts_is_throttled(stack_settings, users):
    real, clock = account(users), Clock()
    with make_client(stack_settings, "198.51.100.77", clock=clock, login_address_failures=6) as bot:
        for _ in range(6):  # one guess per name: the per-account backoff never starts
            assert login(bot, unique("tebak"), "password123").status_code == 401
        r = login(bot, real, PASSWORD)  # the seventh name, even with the right password
        assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 15 * 60
        clock.advance(minutes=15)  # the next window
        assert login(bot, real, PASSWORD).status_code == 303
    with make_client(stack_settings, "203.0.113.6", login_address_failures=6) as other:
        assert login(other, real, PASSWORD).status_code == 303


def test_successes_are_not_counted_against_the_address(stack_settings, users):
    """An office behind one address: its users' logins do not use up its allowance."""
    names = [account(users) for _ in range(4)]
    with make_client(stack_settings, "198.51.100.88", login_address_failures=2) as office:
        for name in names:
            assert login(office, name, PASSWORD).status_code == 303
            office.cookies.clear()


class CountingHasher(PasswordHasher):
    """argon2id as configured, counting the verifications it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.verified = 0

    def verify(self, hash, password):  # noqa: A002 - argon2's own signature
        self.verified += 1
        return super().verify(hash, password)


@pytest.mark.parametrize(
    "case", ["unknown", "wrong password", "right password", "locked", "locked, right password"]
)
def test_every_answer_costs_one_hash_verification(db, users, case):
    name = account(users)
    if case.startswith("locked"):
        users.lock(name)
    hasher = CountingHasher()
    store = UserStore(db, hasher=hasher)
    username = unique("tidak-ada") if case == "unknown" else name
    password = PASSWORD if case.endswith("right password") else "salah-sandi-1"
    try:
        store.authenticate(username, password, address="192.0.2.10")
    except UserError as exc:
        assert str(exc) == WRONG
    assert hasher.verified == 1


def test_throttled_answers_cost_no_verification_for_any_account(db, users):
    real, ghost, now = account(users), unique("tidak-ada"), datetime.now(UTC)
    for name in (real, ghost):
        for _ in range(FREE):
            with pytest.raises(UserError):
                users.authenticate(name, "salah-sandi-1", address="192.0.2.11", now=now)
    hasher = CountingHasher()
    store = UserStore(db, hasher=hasher)
    for name in (real, ghost):
        with pytest.raises(Throttled) as exc:
            store.authenticate(name, "salah-sandi-1", address="192.0.2.11", now=now)
        assert str(exc.value) == THROTTLED and exc.value.retry_after == 60
    assert hasher.verified == 0


def test_parallel_guesses_cannot_slip_past_the_backoff(users):
    """20 wrong passwords at once from one address: at most FREE are ever checked.

    All at the same instant (one ``now``): on a loaded machine the threads may
    take longer than the first backoff, and a guess after it is rightly checked;
    that is time passing, not a race, and not what this test is about."""
    name = account(users)
    now = datetime.now(UTC)

    def guess(i: int) -> str:
        try:
            users.authenticate(name, f"tebakan-{i}", address="192.0.2.12", now=now)
        except Throttled:
            return "throttled"
        except UserError:
            return "checked"
        return "masuk"

    with ThreadPoolExecutor(20) as pool:
        outcomes = Counter(pool.map(guess, range(20)))
    assert set(outcomes) == {"checked", "throttled"}, outcomes
    assert outcomes["checked"] <= FREE, outcomes
    with pytest.raises(Throttled):
        users.authenticate(name, PASSWORD, address="192.0.2.12", now=now)

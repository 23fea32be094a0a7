"""Helpers for the console's security tests: an app instance per "web process",
its login form, a clock the tests move, and accounts with unique names."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from lapor import stack
from web.main import create_app

COOKIE = "lapor_session"


class Clock:
    """The server's notion of time, moved by the test instead of slept through."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_client(
    settings, address: str = "testclient", clock: Clock | None = None, **overrides
) -> TestClient:
    """One app instance: what one web process behind a balancer would be."""
    endpoints = stack.endpoints(settings)
    extra = {"clock": clock} if clock else {}
    app = create_app(
        settings.model_copy(update=overrides),
        endpoints.kafka_bootstrap,
        endpoints.mongodb_uri,
        **extra,
    )
    return TestClient(app, follow_redirects=False, client=(address, 50000))


def csrf(client: TestClient, path: str = "/login") -> str:
    html = client.get(path).text
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client: TestClient, username: str, password: str):
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf(client)}
    )


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def lapor_admin(settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`lapor admin ...` run as an operator runs it, on the session's servers."""
    endpoints = stack.endpoints(settings)
    env = {
        **os.environ,
        "LAPOR_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
        "LAPOR_MONGODB_URI": endpoints.mongodb_uri,
        "LAPOR_MONGODB_DB": settings.mongodb_db,
    }
    return subprocess.run(
        [sys.executable, "-m", "lapor.cli", "admin", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )

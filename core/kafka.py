"""How every Kafka client of the platform reaches the cluster: one bootstrap
setting read right by both client libraries, and TLS / SASL from the settings.

* ``LAPOR_KAFKA_BOOTSTRAP`` may name several brokers, separated by commas,
  semicolons or spaces, with or without ``kafka://``: kafka-python and aiokafka
  get a list of ``host:port`` (:func:`bootstrap_servers`), faust its own
  ``kafka://a:9092;kafka://b:9092`` (:func:`faust_broker`). (Before, the value was
  passed as it was to both: ``a:9092,b:9092`` became faust's single URL
  ``kafka://a:9092,b:9092``.)
* ``LAPOR_KAFKA_SECURITY_PROTOCOL`` (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL),
  ``LAPOR_KAFKA_SSL_CAFILE`` / ``_CERTFILE`` / ``_KEYFILE``,
  ``LAPOR_KAFKA_SASL_MECHANISM`` (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512),
  ``LAPOR_KAFKA_SASL_USERNAME`` / ``_PASSWORD``: :func:`kafka_python_options`
  (the intake producer, the admin client that creates topics, tools),
  :func:`aiokafka_options` (the worker's stage consumers) and
  :func:`faust_options` (the worker app) build each library's arguments.
"""

from __future__ import annotations

import re
import ssl
from typing import Any

from core.settings import Settings

_SEPARATORS = re.compile(r"[,;\s]+")
_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


def bootstrap_servers(value: str | list[str]) -> list[str]:
    """``"kafka://a:9092; b:9092"`` or ``"a:9092,b:9092"`` or a list -> ``["a:9092", "b:9092"]``."""
    parts = value if isinstance(value, list) else _SEPARATORS.split(value)
    servers = []
    for part in parts:
        part = part.strip()
        if part.lower().startswith("kafka://"):
            part = part[len("kafka://") :]
        part = part.rstrip("/")
        if not part:
            continue
        if not _HOST_PORT.fullmatch(part):
            raise ValueError(f"Kafka bootstrap server {part!r}: expected host:port")
        servers.append(part)
    if not servers:
        raise ValueError("no Kafka bootstrap server given")
    return servers


def faust_broker(value: str | list[str]) -> str:
    """The same servers as faust's broker URL list: ``kafka://a:9092;kafka://b:9092``."""
    return ";".join(f"kafka://{server}" for server in bootstrap_servers(value))


def _uses_ssl(settings: Settings) -> bool:
    return settings.kafka_security_protocol in ("SSL", "SASL_SSL")


def _uses_sasl(settings: Settings) -> bool:
    return settings.kafka_security_protocol.startswith("SASL_")


def _password(settings: Settings) -> str | None:
    secret = settings.kafka_sasl_password
    return secret.get_secret_value() if secret else None


def _path(value: object) -> str | None:
    return str(value) if value else None


def kafka_python_options(settings: Settings) -> dict[str, Any]:
    """Security arguments of kafka-python's KafkaProducer / KafkaConsumer / KafkaAdminClient."""
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    if _uses_ssl(settings):
        options.update(
            ssl_check_hostname=True,
            ssl_cafile=_path(settings.kafka_ssl_cafile),
            ssl_certfile=_path(settings.kafka_ssl_certfile),
            ssl_keyfile=_path(settings.kafka_ssl_keyfile),
        )
    options.update(_sasl_options(settings))
    return options


def _sasl_options(settings: Settings) -> dict[str, Any]:
    """The SASL arguments, named alike by kafka-python and aiokafka (none without SASL)."""
    if not _uses_sasl(settings):
        return {}
    return {
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_sasl_username,
        "sasl_plain_password": _password(settings),
    }


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """A verifying TLS context for the asyncio clients (aiokafka, faust), or None."""
    if not _uses_ssl(settings):
        return None
    context = ssl.create_default_context(cafile=_path(settings.kafka_ssl_cafile))
    if settings.kafka_ssl_certfile:
        context.load_cert_chain(str(settings.kafka_ssl_certfile), _path(settings.kafka_ssl_keyfile))
    return context


def aiokafka_options(settings: Settings) -> dict[str, Any]:
    """Security arguments of aiokafka's clients (the case sink's consumer)."""
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    context = ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    options.update(_sasl_options(settings))
    return options


def faust_options(settings: Settings) -> dict[str, Any]:
    """``broker_credentials`` for ``faust.App`` (nothing for PLAINTEXT)."""
    import faust

    if _uses_sasl(settings):
        credentials = faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=_password(settings),
            ssl_context=ssl_context(settings),
            mechanism=settings.kafka_sasl_mechanism,
        )
        return {"broker_credentials": credentials}
    if _uses_ssl(settings):
        return {"broker_credentials": faust.SSLCredentials(ssl_context(settings))}
    return {}

"""All configuration in one place, read from the environment (prefix ``LAPOR_``).

This module is a leaf: it imports nothing from the project, so every layer may
read it. Endpoints left empty here are filled from the embedded stack's record
(see :mod:`lapor.stack`), which is how ``lapor up`` and the other commands meet.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LAPOR_", env_file=".env", extra="ignore")

    state_dir: Path = Field(Path(".lapor"), description="Data, logs, models and keys live here.")
    kafka_bootstrap: str | None = Field(
        None,
        description="host:port of the Kafka brokers, several separated by ',' or ';' "
        "(kafka:// optional); unset = the embedded broker.",
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="How every Kafka client connects (core/kafka.py)."
    )
    kafka_ssl_cafile: Path | None = Field(
        None, description="CA bundle the brokers' certificates are checked against (TLS)."
    )
    kafka_ssl_certfile: Path | None = Field(None, description="Client certificate (mutual TLS).")
    kafka_ssl_keyfile: Path | None = Field(None, description="Client certificate's key.")
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "SCRAM-SHA-512", description="SASL mechanism with SASL_PLAINTEXT / SASL_SSL."
    )
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    replication_factor: int = Field(
        1, ge=1, description="Replicas of each topic the stack creates (3 on a real cluster)."
    )
    mongodb_uri: str | None = Field(None, description="MongoDB URI; unset = the embedded store.")
    mongodb_db: str = "lapor"
    mlflow_uri: str | None = Field(
        None, description="MLflow tracking URI; unset = SQLite under the state directory."
    )

    related_links: bool = Field(
        True, description="Link near-identical open complaints of a topic and region."
    )
    mail_relay_host: str | None = Field(
        None, description="SMTP relay for the e-mail channel's acknowledgements; unset = none."
    )
    mail_relay_port: int = Field(25, description="Port of the SMTP relay.")
    mail_from: str = Field(
        "lapor@localhost", description="Sender of the e-mail channel's acknowledgements."
    )
    mail_imap_host: str | None = Field(
        None, description="IMAP server of the mailbox `lapor mail-imap` reads; unset = off."
    )
    mail_imap_port: int = Field(993, description="993 for TLS, 143 for STARTTLS.")
    mail_imap_security: Literal["tls", "starttls"] = Field(
        "tls", description="IMAP over TLS from the start, or STARTTLS; never in clear."
    )
    mail_imap_user: str | None = None
    mail_imap_password: SecretStr | None = None
    mail_imap_folder: str = Field("INBOX", description="The mailbox complaints arrive in.")
    mail_imap_done_folder: str | None = Field(
        "Diproses",
        description="Where taken messages are moved (created when missing); "
        "empty = they stay, marked \\Seen.",
    )
    mail_imap_poll_seconds: float = Field(30, gt=0, description="How often the mailbox is read.")

    topic_submitted: str = "lapor.complaints.submitted"
    topic_routed: str = "lapor.complaints.routed"
    topic_dlq: str = "lapor.complaints.dlq"
    topic_overridden: str = "lapor.cases.overridden"
    topic_notifications: str = "lapor.notifications"
    partitions: int = Field(4, ge=1, description="Partitions for topics the stack creates.")

    batch_size: int = Field(500, ge=1, description="Complaints classified per worker batch.")
    store_batch_size: int = Field(
        1000, ge=1, description="Cases per bulk insert (a store call has a fixed cost)."
    )
    batch_within: float = Field(0.5, gt=0, description="Seconds a worker waits to fill a batch.")
    worker_id: str = "lapor-router"
    worker_role: Literal["all", "route", "store"] = Field(
        "all", description="Which agents this worker runs (scale routing and storing apart)."
    )
    worker_instance: str | None = Field(
        None,
        description="Stable id of this worker in its consumer group (static membership): a "
        "restarted worker with the same id takes its partitions back at once.",
    )
    log_level: str = Field("WARNING", description="Worker log level (DEBUG, INFO, WARNING).")
    profile_path: Path | None = Field(
        None, description="Write the worker's time per stage here as JSON (benchmarks)."
    )
    escalation_seconds: float = Field(
        300, gt=0, description="How often a worker escalates overdue cases."
    )
    photo_cleanup_seconds: float = Field(
        3600, gt=0, description="How often a worker removes photos no case references (72 h old)."
    )
    identity_retention_days: int = Field(
        365,
        ge=1,
        description="A reporter's identity is erased this many days after the case closed "
        "(selesai, ditolak, diarsipkan): kept no longer than its purpose needs.",
    )
    identity_erase_seconds: float = Field(
        3600, gt=0, description="How often a worker erases identities past their retention."
    )
    auto_close_seconds: float = Field(
        300,
        gt=0,
        description="How often a worker closes answered cases the citizen left unanswered.",
    )
    model_check_seconds: float = Field(
        5.0, gt=0, description="How often a worker checks for a new champion model."
    )

    reporter_key: str | None = Field(
        None, description="Fernet key sealing reporter identities; unset = key file in state dir."
    )
    max_text_chars: int = Field(20_000, ge=100, description="Longest complaint text accepted.")

    session_secret: str | None = Field(
        None, description="Signs console session cookies; unset = key file in state dir."
    )
    session_hours: float = Field(
        8, gt=0, description="A console session ends this long after login, even in use."
    )
    session_idle_minutes: float = Field(
        30, gt=0, description="A console session unused for this long ends (server-side)."
    )
    login_free_failures: int = Field(
        5, ge=1, description="Failed logins per (account, address) before the backoff starts."
    )
    login_backoff_seconds: float = Field(
        60, gt=0, description="First wait of the backoff; it doubles with each further failure."
    )
    login_backoff_max_minutes: float = Field(15, gt=0, description="Longest backoff wait.")
    login_address_failures: int = Field(
        20, ge=1, description="Failed logins per client address per window, over all accounts."
    )
    login_address_window_minutes: float = Field(
        15, gt=0, description="The window of login_address_failures."
    )
    secure_cookies: bool = Field(False, description="Send cookies only over HTTPS (production).")
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest request body accepted.")
    max_upload_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        description="Largest body of the routes that take photos (3 photos and the form).",
    )
    intake_rate_per_minute: int = Field(
        30, ge=1, description="Public intake requests per client address per minute."
    )
    rate_limit_storage: str | None = Field(
        None,
        description="`limits` storage URI for the intake rate limit, shared by all web "
        "processes; unset = the case store's MongoDB; 'memory://' = per process.",
    )

    sms_secret: SecretStr | None = Field(
        None,
        description="Secrets the SMS 1708 gateways sign their webhook calls with: "
        "'name:secret' entries separated by commas, or one bare secret (gateway 'sms'); "
        "each at least 32 characters. Unset = the SMS webhook is disabled (503).",
    )
    sms_max_skew_seconds: float = Field(
        300, gt=0, description="Largest gap between an SMS call's signed timestamp and now."
    )
    sms_rate_per_minute: int = Field(
        600, ge=1, description="SMS webhook calls per gateway per minute (429 beyond)."
    )
    sms_sender_per_hour: int = Field(
        20,
        ge=1,
        description="Complaints by SMS per sender number per hour, over all gateways "
        "(429 beyond); counted under the number's blind index, never the number.",
    )

    tracking_key: SecretStr | None = Field(
        None,
        description="Keys tagging the tracking ids this system issues (core/tracking.py), "
        "separated by commas, the first issues; unset = key file in state dir. Every web "
        "process and `lapor submit` must share it.",
    )
    contact_index_key: SecretStr | None = Field(
        None,
        description="Key of the blind index that finds a reporter's opt-out (SMS BERHENTI, "
        "the e-mail's link) by number or address (core/contacts.py); at least 32 "
        "characters; unset = key file in state dir. Not rotated: a new key forgets every "
        "opt-out.",
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="The site's public address (https://lapor.example.go.id): the tracking "
        "link in notifications, Open311's media_url.",
    )
    outbox_relay_seconds: float = Field(
        1.0, gt=0, description="How often a worker publishes cases' pending notifications."
    )
    notify_smtp_host: str | None = Field(
        None, description="SMTP server the notifier sends e-mail through; unset = no e-mail."
    )
    notify_smtp_port: int = Field(587, description="Port of notify_smtp_host.")
    notify_smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls",
        description="starttls (upgrade on the port, 587), tls (implicit TLS, 465) or none "
        "(a local relay only).",
    )
    notify_smtp_cafile: Path | None = Field(
        None, description="CA bundle the SMTP server's certificate is checked against."
    )
    notify_smtp_username: str | None = None
    notify_smtp_password: SecretStr | None = None
    notify_mail_from: str = Field(
        "LAPOR! <noreply@localhost>", description="Sender of notification e-mails."
    )
    notify_max_attempts: int = Field(
        8, ge=1, description="Tries per message before it is dead-lettered."
    )
    notify_backoff_seconds: float = Field(
        30, gt=0, description="Wait after the first failed try; it doubles with each try."
    )
    notify_poll_seconds: float = Field(
        1.0, gt=0, description="How often the notifier looks for deliveries that are due."
    )
    sms_outbox_lease_seconds: float = Field(
        60,
        gt=0,
        description="An SMS fetched by the gateway and not acknowledged is offered again "
        "after this long (doubling with each fetch).",
    )

    @property
    def topics(self) -> list[str]:
        return [
            self.topic_submitted,
            self.topic_routed,
            self.topic_dlq,
            self.topic_overridden,
            self.topic_notifications,
        ]

    @property
    def reporter_key_file(self) -> Path:
        return self.state_dir / "reporter.key"

    @property
    def session_key_file(self) -> Path:
        return self.state_dir / "session.key"

    @property
    def tracking_key_file(self) -> Path:
        return self.state_dir / "tracking.key"

    @property
    def contact_index_key_file(self) -> Path:
        return self.state_dir / "contact-index.key"

    @property
    def stack_file(self) -> Path:
        return self.state_dir / "stack.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

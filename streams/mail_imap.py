"""The e-mail channel for mailboxes that cannot forward: poll one over IMAP.

``lapor mail-imap`` reads the unseen messages of a folder (IMAP over TLS, or
STARTTLS; never in clear), takes each like the SMTP gateway does
(``streams/mail_intake.py``: the same parsing, photo rules, Message-ID as the
idempotency key, acknowledgement by the relay) and then marks it: ``\\Seen`` and
moved to the done folder. Messages are fetched with ``BODY.PEEK`` so that one
whose complaint could not be published (a broker outage) stays unseen and is
taken at the next poll. One that can never be a complaint (an id conflict) is
marked ``\\Seen`` and ``\\Flagged`` and left in the folder for a person. A crash
between publishing and marking only means the message is taken again: a replay,
no second case (the acknowledgement goes once unless the case was not stored
yet).

``imaplib`` from the standard library: the protocol needed is a handful of
commands, and the library speaks TLS and STARTTLS with a verifying context.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
from collections import Counter
from dataclasses import dataclass

from kafka.errors import KafkaError

from streams.intake import IntakeError
from streams.mail_intake import MailIntake

log = logging.getLogger("lapor.mail")
BATCH = 100  # messages per poll; the rest wait for the next one


class ImapError(RuntimeError):
    """The mailbox could not be read (connection, login, a refused command)."""


@dataclass(frozen=True)
class ImapMailbox:
    host: str
    port: int
    user: str
    password: str
    security: str = "tls"  # or "starttls"
    folder: str = "INBOX"
    done_folder: str | None = "Diproses"
    ssl_context: ssl.SSLContext | None = None

    def connect(self) -> imaplib.IMAP4:
        context = self.ssl_context or ssl.create_default_context()
        try:
            if self.security == "tls":
                imap = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=context, timeout=30)
            else:
                imap = imaplib.IMAP4(self.host, self.port, timeout=30)
                imap.starttls(ssl_context=context)
            imap.login(self.user, self.password)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"IMAP {self.host}:{self.port}: {exc}") from exc
        return imap


def _ok(answer: tuple, what: str) -> list:
    kind, data = answer
    if kind != "OK":
        raise ImapError(f"{what}: {kind} {data!r}")
    return data


class MailPoller:
    def __init__(self, mail: MailIntake, mailbox: ImapMailbox) -> None:
        self.mail, self.mailbox = mail, mailbox
        self.can_move = False  # the server's capability, read at each poll

    def poll_once(self) -> Counter:
        """Take the folder's unseen messages; counts by outcome (taken, replay,
        skipped, refused, retry)."""
        counts: Counter = Counter()
        imap = self.mailbox.connect()
        try:
            done = self.mailbox.done_folder
            if done:
                imap.create(done)  # "already exists" is a NO: fine
            capabilities = _ok(imap.capability(), "CAPABILITY")[-1].upper().split()
            self.can_move = b"MOVE" in capabilities
            _ok(imap.select(self.mailbox.folder), f"SELECT {self.mailbox.folder}")
            uids = _ok(imap.uid("SEARCH", None, "UNSEEN"), "SEARCH")[0].split()[:BATCH]
            for uid in uids:
                counts[self._one(imap, uid)] += 1
            if done and counts["taken"] + counts["replay"] + counts["skipped"]:
                imap.expunge()  # for servers without MOVE (COPY + \\Deleted)
        finally:
            try:
                imap.logout()
            except (OSError, imaplib.IMAP4.error):
                pass
        return counts

    def _one(self, imap: imaplib.IMAP4, uid: bytes) -> str:
        data = _ok(imap.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH")
        raw = next((item[1] for item in data if isinstance(item, tuple)), None)
        if raw is None:
            return "gone"
        try:
            taken = self.mail.take(raw)
        except KafkaError as exc:
            log.warning("mail %s kept unseen, to be taken again: %s", uid.decode(), exc)
            return "retry"
        except IntakeError as exc:
            log.warning("mail %s can never be a complaint, flagged: %s", uid.decode(), exc)
            imap.uid("STORE", uid, "+FLAGS", "(\\Seen \\Flagged)")
            return "refused"
        self._done(imap, uid)
        if taken.skipped:
            return "skipped"
        return "replay" if taken.replay else "taken"

    def _done(self, imap: imaplib.IMAP4, uid: bytes) -> None:
        imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        done = self.mailbox.done_folder
        if not done:
            return
        if self.can_move:
            _ok(imap.uid("MOVE", uid, done), "MOVE")
        else:
            _ok(imap.uid("COPY", uid, done), "COPY")
            imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)")

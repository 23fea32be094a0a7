"""E-mail as a channel: a message -> one complaint record, or a reason to skip it.

Many offices still receive complaints by e-mail. What a mailbox holds besides
complaints must never become a case: auto-replies (RFC 3834 ``Auto-Submitted``,
``Precedence: bulk/auto_reply``, vacation headers), bounces (``multipart/report``,
``MAILER-DAEMON``). A complaint's text is its subject and body, with the quoted
earlier mail and the signature removed: a citizen replying to our
acknowledgement must not file the acknowledgement again. No reply-parsing
library knows Indonesian mail clients ("Pada Sen, 1 Des 2026 ... menulis:",
"Dikirim dari ..."), so the few patterns are here, with English ones.

The Message-ID is the complaint's id (hashed to the id alphabet): the same
message delivered twice is a replay, never a second case.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

MAIL_ID_PREFIX = "mail-"
AUTOMATIC_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|noreply)@", re.I)
# a line that starts the quoted earlier message, in the clients citizens use
QUOTE_HEADER = re.compile(
    r"^\s*(?:(?:on|pada)\b.{0,200}\b(?:wrote|menulis)\s*:"
    r"|-{2,}\s*(?:original message|pesan asli|forwarded message|pesan yang diteruskan)\s*-{2,}"
    r"|(?:from|dari)\s*:\s.*@)",
    re.I,
)
# a line that starts the signature
SIGNATURE = re.compile(
    r"^(?:--\s*$|__+\s*$|(?:sent from|dikirim dari|diterima dari)\s.{0,80}$)", re.I
)


@dataclass(frozen=True)
class MailComplaint:
    record: dict  # for Intake.submit: id, text, channel, reporter
    reply_to: str  # the sender, who gets the tracking id back
    message_id: str
    # (file name, bytes) of each attachment, for the photo rules (casestore/photos.py)
    attachments: tuple[tuple[str, bytes], ...] = ()


class Skipped(ValueError):
    """A message that is no complaint (the reason is logged, nothing is published)."""


def mail_id(message_id: str) -> str:
    """A Message-ID as a complaint id: stable, within the id alphabet and length."""
    return MAIL_ID_PREFIX + hashlib.sha256(message_id.strip().encode()).hexdigest()[:40]


def is_automatic(message: EmailMessage, sender: str) -> str | None:
    """Why the message was sent by a machine, or None."""
    auto = (message.get("Auto-Submitted") or "no").strip().lower()
    if auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = (message.get("Precedence") or "").strip().lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if message.get(header):
            return header
    if message.get_content_type() == "multipart/report":
        return "a delivery report (bounce)"
    if AUTOMATIC_SENDERS.match(sender):
        return f"an automatic sender ({sender.split('@')[0]})"
    return None


def own_text(body: str) -> str:
    """The body without the quoted earlier mail (">" lines, "... menulis:" and what
    follows) and without the signature."""
    kept: list[str] = []
    for line in body.replace("\r\n", "\n").split("\n"):
        if QUOTE_HEADER.match(line) or SIGNATURE.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def _plain_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    if part.get_content_type() == "text/html":  # a last resort: tags off, text kept
        text = re.sub(r"<[^>]{0,1000}>", " ", text)
    return text


def parse_mail(raw: bytes) -> MailComplaint:
    """Raises Skipped for what is no complaint, with the reason."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    display, sender = parseaddr(str(message.get("From") or ""))
    if not sender or "@" not in sender:
        raise Skipped("no sender address")
    reason = is_automatic(message, sender)
    if reason:
        raise Skipped(f"automatic message: {reason}")
    message_id = str(message.get("Message-ID") or "").strip()
    if not message_id:
        raise Skipped("no Message-ID (cannot be taken exactly once)")
    subject = re.sub(
        r"^\s*((re|fw|fwd|bls|balas)\s*:\s*)+", "", str(message.get("Subject") or ""), flags=re.I
    ).strip()
    body = own_text(_plain_body(message))
    text = "\n".join(part for part in (subject, body) if part).strip()
    if not any(ch.isalnum() for ch in text):
        raise Skipped("no text of its own (only a quote, a signature or nothing)")
    record = {
        "id": mail_id(message_id),
        "text": text[:20_000],
        "channel": "email",
        "reporter": {"email": sender, "name": display or None},
    }
    return MailComplaint(
        record=record,
        reply_to=sender,
        message_id=message_id,
        attachments=tuple(_attachments(message)),
    )


def _attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    """Every attached file and inline image (what the photo rules then judge)."""
    found, body = [], message.get_body(preferencelist=("plain", "html"))
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        inline_image = part.get_content_maintype() == "image"
        if part.get_filename() or inline_image or part.get_content_disposition() == "attachment":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                found.append((part.get_filename() or "", payload))
    return found


def acknowledgement(
    complaint: MailComplaint, tracking_id: str, sender: str, refused: Sequence[str] = ()
) -> EmailMessage:
    """The reply with the tracking id, threaded under the citizen's message and
    marked automatic (RFC 3834) so that their auto-responder does not answer it.
    ``refused``: the attachments not kept as photos, and why."""
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = complaint.reply_to
    reply["Subject"] = f"Aduan Anda diterima: nomor lacak {tracking_id}"
    reply["In-Reply-To"] = complaint.message_id
    reply["References"] = complaint.message_id
    reply["Auto-Submitted"] = "auto-replied"
    reply.set_content(
        "Terima kasih. Aduan Anda sudah kami terima dan akan diteruskan ke instansi "
        f"yang berwenang.\n\nNomor lacak: {tracking_id}\n\n"
        "Simpan nomor ini untuk memantau tindak lanjut aduan Anda. Membalas e-mail ini "
        "dengan informasi tambahan akan dicatat sebagai aduan baru.\n"
        + (
            "\nLampiran berikut tidak disimpan (hanya foto JPEG, PNG, atau WebP, paling "
            "banyak 3):\n" + "".join(f"- {why}\n" for why in refused)
            if refused
            else ""
        )
    )
    return reply

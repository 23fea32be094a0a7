"""What a notification says to the reporter, in Indonesian: the e-mail and the SMS.

Status in words (``casestore.workflow.STATUS_LABELS``), the unit handling the
case, what happened (the kind: a status change, the unit's answer, a request for
information, a re-dispatch, an escalation) with the note meant for the citizen
(already masked), and the tracking link. A rahasia complaint's link cannot carry
its secret token (the hub keeps only its hash): the message asks for it instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from casestore.workflow import STATUS_LABELS
from core.events import Notification

SMS_CHARS = 459  # three concatenated SMS at most


@dataclass(frozen=True)
class Message:
    subject: str
    text: str  # the e-mail body
    sms: str


def label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def _what(event: Notification) -> str:
    unit = event.unit or "Unit yang menangani"
    note = event.note or ""
    if event.kind == "answer":
        return f"{unit} menanggapi aduan Anda: {note}".strip()
    if event.kind == "info_request":
        return (
            f"{unit} meminta informasi tambahan dari Anda: {note}. "
            "Sampaikan melalui halaman lacak aduan."
        )
    if event.kind == "redispatch":
        return f"Aduan Anda dialihkan ke {event.unit or 'unit lain'} yang berwenang."
    if event.kind == "escalation":
        return note or "Batas waktu terlewati; aduan Anda dipantau oleh unit di atasnya."
    said = f"Status aduan Anda kini: {label(event.status)}."
    return f"{said} Keterangan: {note}" if note else said


def stop_link(public_url: str, token: str) -> str:
    """The e-mail's opt-out page (``web/routers/optout.py``) for one address."""
    return f"{public_url.rstrip('/')}/berhenti?t={token}"


def compose(event: Notification, public_url: str, stop: str | None = None) -> Message:
    """``stop``: the e-mail's opt-out link, when it goes to an address."""
    link = f"{public_url.rstrip('/')}/lacak?id={quote(event.case_id)}"
    token = " (masukkan juga token rahasia Anda)" if event.privacy == "rahasia" else ""
    what = _what(event)
    lines = [
        "Yth. Pelapor,",
        "",
        f"Ada kabar terbaru tentang aduan Anda nomor {event.case_id}.",
        "",
        what,
        "",
        f"Status: {label(event.status)}",
    ]
    if event.unit:
        lines.append(f"Ditangani oleh: {event.unit}")
    lines += [
        f"Lacak aduan Anda: {link}{token}",
        "",
        "Pesan ini dikirim otomatis oleh LAPOR!; balasan ke alamat ini tidak dibaca.",
    ]
    if stop:
        lines.append(f"Tidak ingin menerima kabar aduan lewat e-mail lagi? Buka {stop}")
    tail = f" Lacak: {link}{token} Balas BERHENTI agar tidak dikirimi SMS lagi."
    head = f"LAPOR! {event.case_id}: {label(event.status)}. "
    room = SMS_CHARS - len(head) - len(tail)
    body = what if len(what) <= room else what[: max(room - 3, 0)].rstrip() + "..."
    return Message(
        subject=f"[LAPOR!] Aduan {event.case_id}: {label(event.status)}",
        text="\n".join(lines) + "\n",
        sms=head + body + tail,
    )

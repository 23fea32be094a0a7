"""Signing SMS webhook calls the way a gateway does (README: "SMS gateway"),
written out here with hmac rather than with web.sms, so the tests check the
documented format, not the server's own helper."""

from __future__ import annotations

import hashlib
import hmac
import json
import time


def signed(secret: str, payload: dict, timestamp: int | None = None) -> dict:
    """Keyword arguments for ``client.post("/api/v1/sms", **signed(...))``."""
    body = json.dumps(payload).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {
        "content": body,
        "headers": {
            "content-type": "application/json",
            "x-lapor-timestamp": ts,
            "x-lapor-signature": f"sha256={mac}",
        },
    }

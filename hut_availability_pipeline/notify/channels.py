"""Channels are apprise URLs (mailto://, ntfy://, json://, mqtt://, tgram://, discord://, ...):
checking that apprise understands one, and sending one message through it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..errors import HutAvailabilityError


class UnknownChannelError(HutAvailabilityError, ValueError):
    """A --notify URL that no apprise channel understands."""


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str | None = None


def check_url(url: str) -> None:
    """Refuse a URL that no apprise channel understands, naming it (without its password)."""
    import apprise

    channel = apprise.Apprise()
    if not channel.add(url):
        raise UnknownChannelError(
            f"no notification channel understands --notify {redact(url)!r}: use an apprise URL such as"
            " mailto://user:password@example.com, ntfy://ntfy.sh/TOPIC or json://host:port/path"
        )


def redact(url: str) -> str:
    """The URL without the password of its user part."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    userinfo, _, host = rest.partition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in userinfo else url


# apprise's generic webhooks: a URL argument `+Name=value` adds an HTTP header, `:name=value` a
# field of the JSON payload (https://github.com/caronc/apprise/wiki/Notify_Custom_JSON).
WEBHOOK_SCHEMES = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
JSON_SCHEMES = frozenset({"json", "jsons"})
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_FIELD = "idempotency_key"


def with_idempotency_key(url: str, idempotency_key: str) -> str:
    """The URL of a generic webhook (json://, form://, xml://) with the message's idempotency key
    as the HTTP header Idempotency-Key (and, for json://, the payload field idempotency_key);
    other URLs unchanged. The key is [a-z0-9-] only (storage/watches.py), so it needs no quoting."""
    scheme = url.partition("://")[0].lower()
    if scheme not in WEBHOOK_SCHEMES:
        return url
    base, hash_sign, fragment = url.partition("#")
    arguments = [f"+{IDEMPOTENCY_HEADER}={idempotency_key}"]
    if scheme in JSON_SCHEMES:
        arguments.append(f":{IDEMPOTENCY_FIELD}={idempotency_key}")
    return f"{base}{'&' if '?' in base else '?'}{'&'.join(arguments)}{hash_sign}{fragment}"


def send(url: str, title: str, body: str, idempotency_key: str) -> SendResult:
    """Send one message; the apprise warnings of a failure are the error. The idempotency key goes
    into the body's last line (every channel) and, for generic webhooks, into the header
    Idempotency-Key and the JSON field idempotency_key, so that a receiver can drop a message it
    has seen (a crash after a send but before it was recorded sends it again)."""
    import apprise

    channel = apprise.Apprise()
    if not channel.add(with_idempotency_key(url, idempotency_key)):
        return SendResult(False, f"no channel understands {redact(url)}")
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = bool(channel.notify(body=f"{body}\n\n[{idempotency_key}]", title=title))
    if ok:
        return SendResult(True)
    text = captured.getvalue().strip() if hasattr(captured, "getvalue") else ""
    lines = [line.split(" - ", 2)[-1] for line in text.splitlines() if line.strip()]
    return SendResult(False, "; ".join(lines) or f"apprise could not deliver to {redact(url)}")

"""Channels are apprise URLs (mailto://, ntfy://, json://, mqtt://, tgram://, discord://, ...):
checking that apprise understands one, and sending one message through it."""

from __future__ import annotations

import logging
from dataclasses import dataclass


class UnknownChannelError(ValueError):
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


def send(url: str, title: str, body: str, idempotency_key: str) -> SendResult:
    """Send one message; the apprise warnings of a failure are the error. The idempotency key goes
    into the body's last line, so that a receiver can drop a message it has seen (a crash after a
    send but before it was recorded sends it again)."""
    import apprise

    channel = apprise.Apprise()
    if not channel.add(url):
        return SendResult(False, f"no channel understands {redact(url)}")
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = bool(channel.notify(body=f"{body}\n\n[{idempotency_key}]", title=title))
    if ok:
        return SendResult(True)
    text = captured.getvalue().strip() if hasattr(captured, "getvalue") else ""
    lines = [line.split(" - ", 2)[-1] for line in text.splitlines() if line.strip()]
    return SendResult(False, "; ".join(lines) or f"apprise could not deliver to {redact(url)}")

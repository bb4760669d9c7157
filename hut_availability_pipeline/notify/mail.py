"""E-mail of the watches of an address (storage/subscriptions.py), sent by SMTP (smtplib): the
confirmation of a new watch and its alerts, each with the watch's unsubscribe link in the text and
in the `List-Unsubscribe` header with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
(RFC 8058: a mail program unsubscribes with one POST to the link, without opening a page). The
Message-ID is made of the message's idempotency key, so that a message sent twice (a crash after
the send, notify/delivery.py) is one message to a mail program that drops duplicates."""

from __future__ import annotations

import datetime as dt
import email.policy
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import unquote, urlsplit

from ..storage.watches import Notification
from .channels import SendResult

# Headers folded at 998 characters (RFC 5322's limit), not 78: at 78 the List-Unsubscribe link, a
# word without spaces, would be written as an RFC 2047 encoded word that mail programs do not read.
HEADER_POLICY = email.policy.SMTP.clone(max_line_length=998)
SMTP_TIMEOUT = 30.0  # seconds; a server that does not answer fails the attempt (the outbox retries)


@dataclass(frozen=True)
class MailServer:
    """Where e-mail goes out (`smtp_url`: smtp://host:port, or smtps://user:password@host:port
    for TLS from the start), who sends it, and the base of the links in it."""

    smtp_url: str
    mail_from: str
    public_url: str

    @classmethod
    def of(cls, smtp_url: str | None, mail_from: str | None, public_url: str | None) -> MailServer | None:
        """A server when all three are set, None otherwise (no e-mail alerts)."""
        if not (smtp_url and mail_from and public_url):
            return None
        return cls(smtp_url, mail_from, public_url.rstrip("/"))

    def confirm_link(self, token: str) -> str:
        return f"{self.public_url}/alerts/confirm/{token}"

    def unsubscribe_link(self, token: str) -> str:
        return f"{self.public_url}/alerts/unsubscribe/{token}"

    def __call__(self, notification: Notification) -> SendResult:
        """Send a notification of a watch of an address (the outbox's Mailer)."""
        try:
            message = compose(self, notification)
        except ValueError as exc:
            return SendResult(False, str(exc))
        return send_message(self.smtp_url, message)


def _subject(notification: Notification) -> str:
    if notification.kind != "availability" or notification.date_from is None or notification.date_to is None:
        return notification.title
    if notification.date_from == notification.date_to:
        return f"{notification.title}, night of {notification.date_from.isoformat()}"
    return f"{notification.title}, {notification.date_from.isoformat()} to {notification.date_to.isoformat()}"


def compose(server: MailServer, notification: Notification) -> EmailMessage:
    """The e-mail of a notification: its title as subject (an alert's with its night), its body,
    the unsubscribe link, the idempotency key; the headers of RFC 8058."""
    if notification.email is None or notification.unsubscribe_token is None:
        raise ValueError(f"notification {notification.id} is not one of a watch of an e-mail address")
    unsubscribe = server.unsubscribe_link(notification.unsubscribe_token)
    message = EmailMessage(policy=HEADER_POLICY)
    message["From"] = server.mail_from
    message["To"] = notification.email
    message["Subject"] = " ".join(_subject(notification).split())  # a provider's name with a line break stays one line
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    domain = parseaddr(server.mail_from)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<{notification.idempotency_key}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    what = "cancel this request" if notification.kind == "confirm" else "stop these alerts"
    message.set_content(
        f"{notification.body}\n\n-- \n"
        f"To {what} and delete your address (if no other alert uses it), open:\n{unsubscribe}\n"
        f"[{notification.idempotency_key}]\n"
    )
    return message


def send_message(smtp_url: str, message: EmailMessage) -> SendResult:
    """Send one message through the server of `smtp_url`; the error (without the password) on failure."""
    parts = urlsplit(smtp_url)
    host = parts.hostname or "localhost"
    tls = parts.scheme == "smtps"
    port = parts.port or (465 if tls else 25)
    try:
        smtp: smtplib.SMTP = (
            smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context())
            if tls
            else smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
        )
        with smtp:
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        return SendResult(False, f"SMTP {host}:{port}: {type(exc).__name__}: {exc}")
    return SendResult(True)

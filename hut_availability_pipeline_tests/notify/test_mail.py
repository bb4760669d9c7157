"""The e-mail of a watch of an address (notify/mail.py): its subject names the hut and the night
on one line, whatever a provider put in the hut's name; the RFC 8058 headers are readable (not
RFC 2047-encoded) however long the link; the Message-ID is the idempotency key. Sending through a
real SMTP server is tested with the whole flow (web/test_alerts.py)."""

from __future__ import annotations

import datetime as dt

from hut_availability_pipeline.notify.mail import MailServer, compose
from hut_availability_pipeline.storage.watches import Notification

PUBLIC_URL = "https://huts.example.org"


def test_an_email_has_one_line_subject_and_the_rfc_8058_headers_whatever_the_hut_name():
    notification = Notification(
        id=1, watch_id=7, idempotency_key="watch-7-episode-1-0", title="Free: Evil\r\nBcc: x@example.org Hut",
        body="From 2027-07-02 ...", notify_url="subscriber", attempts=0, email="anna@example.org",
        unsubscribe_token="t" * 32, date_from=dt.date(2027, 7, 2), date_to=dt.date(2027, 7, 2),
    )  # fmt: skip
    server = MailServer("smtp://127.0.0.1:25", "Huts <huts@example.org>", PUBLIC_URL)
    message = compose(server, notification)
    assert message["Subject"] == "Free: Evil Bcc: x@example.org Hut, night of 2027-07-02"
    assert message["Bcc"] is None and message["To"] == "anna@example.org"
    assert message["Message-ID"] == "<watch-7-episode-1-0@example.org>"
    assert message["List-Unsubscribe"] == f"<{PUBLIC_URL}/alerts/unsubscribe/{'t' * 32}>"
    assert f"List-Unsubscribe: <{PUBLIC_URL}/alerts/unsubscribe/{'t' * 32}>" in message.as_string()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

"""Delivery of the outbox through apprise to real receivers on loopback: a JSON webhook, an SMTP
server, and a failing channel that is retried with backoff and keeps its error."""

from __future__ import annotations

import datetime as dt

import pytest

from hut_availability_pipeline.domain.watches import WatchKind, WatchSpec
from hut_availability_pipeline.notify.channels import (
    UnknownChannelError,
    check_url,
    redact,
    scrub,
    with_idempotency_key,
)
from hut_availability_pipeline.notify.delivery import deliver_due
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.watches import add_watch, read_watches, retry_delay
from hut_availability_pipeline.storage.writer import write_batch
from hut_availability_pipeline.watches.evaluation import evaluate

from ..helpers import add_huts, result
from ..receivers import smtp_receiver, webhook_receiver

TODAY = dt.date.today()
DAY0 = TODAY + dt.timedelta(days=20)


def fire(db: Database, url: str) -> int:
    """A watch on hut-0's DAY0 that a new free night satisfies: one notification in the outbox."""
    [hut, _] = add_huts(db)
    with db.connect() as conn:
        watch = add_watch(conn, WatchSpec(WatchKind.hut, (hut.hut_id,), DAY0, DAY0, beds=2), url, "Konkordia")
        write_batch(conn, [result(hut, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1), [3], start=DAY0)])
        assert evaluate(conn, TODAY).fired == 1
    return watch


def test_a_json_webhook_gets_the_message_once(db: Database):
    with webhook_receiver() as receiver:
        watch = fire(db, receiver.url("/hut-alerts"))
        assert deliver_due(db).delivered == 1
        assert deliver_due(db).delivered == 0  # delivered is delivered
    [message] = receiver.received
    assert message["path"] == "/hut-alerts"
    assert message["title"] == "Free: Konkordia"
    assert f"{DAY0} Hut 0: 3 free https://www.hut-reservation.org" in message["message"]
    assert message["message"].endswith(f"[watch-{watch}-episode-1-0]")
    # the same key where a webhook receiver looks first: a header and a field of the payload
    assert receiver.headers[0]["Idempotency-Key"] == f"watch-{watch}-episode-1-0"
    assert message["idempotency_key"] == f"watch-{watch}-episode-1-0"


def test_an_email_reaches_the_smtp_server(db: Database):
    with smtp_receiver() as (mailbox, port):
        fire(db, f"mailto://127.0.0.1:{port}?from=huts@example.com&to=anna@example.com&mode=insecure")
        assert deliver_due(db).delivered == 1
    [mail] = mailbox.messages
    assert (mail["To"], mail["Subject"]) == ("anna@example.com", "Free: Konkordia")
    text = next(part for part in mail.walk() if part.get_content_type() == "text/plain")
    assert f"{DAY0} Hut 0: 3 free" in text.get_payload(decode=True).decode()


def test_a_failing_channel_is_retried_with_backoff_and_its_error_is_kept(db: Database):
    with webhook_receiver() as receiver:
        receiver.status = 500
        watch = fire(db, receiver.url())
        assert deliver_due(db).failed == 1
        assert deliver_due(db).failed == 0  # not due again before the backoff
        [stored] = stored_watches(db, watch)
        assert stored.delivered_at is None and stored.attempts == 1
        assert stored.last_error is not None and "500" in stored.last_error
        assert stored.next_attempt_at is not None and stored.last_attempt_at is not None
        assert stored.next_attempt_at - stored.last_attempt_at == retry_delay(1)
        with db.connect() as conn:  # the backoff is over
            conn.execute("UPDATE notifications SET next_attempt_at = now()")
        receiver.status = 200
        assert deliver_due(db).delivered == 1
    assert len(receiver.received) == 1
    [stored] = stored_watches(db, watch)
    assert stored.delivered_at is not None and stored.last_error is None and stored.attempts == 2


def stored_watches(db: Database, watch: int):
    with db.connect() as conn:
        return read_watches(conn, [watch])


def test_backoff_doubles_up_to_six_hours():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(30) == dt.timedelta(hours=6)


def test_urls_no_channel_understands_are_refused_without_their_password():
    check_url("ntfy://ntfy.sh/hut-alerts")
    with pytest.raises(UnknownChannelError, match=r"'nosuch://anna:\*\*\*@example.com'"):
        check_url("nosuch://anna:secret@example.com")
    assert redact("mailto://anna:secret@example.com") == "mailto://anna:****@example.com"
    assert redact("nosuch://anna:secret@example.com/token") == "nosuch://anna:***@example.com/***"


def test_an_error_of_apprise_names_no_secret_of_the_url():
    url = "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/12345678"
    error = f"Failed to send to {url}: bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw, chat 12345678"
    assert scrub(error, url) == "Failed to send to tgram://1...w/12345678: bot ***:***, chat 12345678"


def test_urls_are_shown_in_apprises_privacy_form_with_only_their_own_arguments():
    assert redact("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/12345") == "tgram://1...w/12345"
    assert redact("discord://1234567890/Xq3rZ9sVtLkP0aBcDeFgHiJkLmNoPqRsTuVwXyZ") == "discord://1...0/X...Z"
    assert redact("ntfy://ntfy.sh/topic?token=tk_secret123") == "ntfy://t...3@ntfy.sh/topic"
    assert redact("json://127.0.0.1:8080/hook") == "json://127.0.0.1:8080/hook"


def _broker_up() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 1883), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _broker_up(), reason="no MQTT broker (Mosquitto) on 127.0.0.1:1883")
def test_an_mqtt_message_reaches_the_local_broker(db: Database):
    import threading
    import uuid

    import paho.mqtt.client as mqtt

    topic = f"hut-alerts/{uuid.uuid4().hex}"
    got: list[bytes] = []
    arrived = threading.Event()
    subscribed = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = lambda _c, _u, message: (got.append(message.payload), arrived.set())
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    try:
        assert subscribed.wait(10)
        fire(db, f"mqtt://127.0.0.1:1883/{topic}")
        assert deliver_due(db).delivered == 1
        assert arrived.wait(10)
    finally:
        client.loop_stop()
        client.disconnect()
    [payload] = got
    assert f"{DAY0} Hut 0: 3 free" in payload.decode()


def test_only_generic_webhooks_get_the_key_as_a_header_and_json_ones_as_a_field_too():
    key = "watch-7-episode-2-1"
    assert with_idempotency_key("json://127.0.0.1:8/x?method=PUT", key) == (
        f"json://127.0.0.1:8/x?method=PUT&+Idempotency-Key={key}&:idempotency_key={key}"
    )
    assert with_idempotency_key("forms://example.org/x", key) == f"forms://example.org/x?+Idempotency-Key={key}"
    for url in ("ntfy://ntfy.sh/topic", "mailtos://u:p@example.com", "mqtt://127.0.0.1/t"):
        assert with_idempotency_key(url, key) == url  # the key is in the message's last line only

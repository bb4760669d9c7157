"""`hut-availability watch ...` and `alerts send` as a user runs them: input refused with a
message naming it (nothing stored), the whole path to a real webhook, and the crash test: SIGKILL
of `alerts send` after it decided and before it delivered neither loses nor duplicates a message."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from hut_availability_pipeline.cli import main
from hut_availability_pipeline.notify.delivery import DELIVERY_LOCK_KEY
from hut_availability_pipeline.storage.writer import write_batch

from ..conftest import libpq_url
from ..helpers import add_huts, result
from ..receivers import webhook_receiver

DAY0 = dt.date.today() + dt.timedelta(days=30)


@pytest.fixture
def env(db, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", libpq_url(db))
    monkeypatch.setenv("HUT_AVAILABILITY_HOME", str(tmp_path / "home"))
    return db


def watch_count(db) -> int:
    with db.connect() as conn:
        return int(conn.execute("SELECT count(*) FROM watches").fetchone()[0])  # type: ignore[index]


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["--hut", "no-such-hut"], "no hut with slug 'no-such-hut' (the huts there are: hut-availability huts list)"),
        (["--tour", "hut-0,nope,hut-1,zz"], "no hut with slugs 'nope', 'zz' (the huts there are"),
        (["--hut", "hut-0", "--from", "2099-01-05", "--to", "2099-01-03"], "--to 2099-01-03 is before --from"),
        (["--hut", "hut-0", "--from", "2001-01-01", "--to", "2001-01-02"], "is in the past"),
        (["--hut", "hut-0", "--notify", "nosuch://x"], "no notification channel understands --notify 'nosuch://x'"),
        (["--hut", "hut-0", "--from", "someday"], "bad date 'someday'"),
        (["--hut", "hut-0", "--nights", "5"], "5 consecutive nights do not fit"),
        (["--tour", "hut-0", "--nights", "1"], "a tour has between 2"),
    ],
)
def test_bad_input_is_refused_naming_it_and_nothing_is_stored(env, capsys, words, message):
    add_huts(env)
    defaults = {"--from": DAY0.isoformat(), "--to": (DAY0 + dt.timedelta(days=1)).isoformat()}
    defaults["--notify"] = "json://127.0.0.1:9/hook"
    for key, value in defaults.items():
        if key not in words:
            words = [*words, key, value]
    assert main(["watch", "add", *words]) == 2
    assert message in capsys.readouterr().err
    assert watch_count(env) == 0


def test_date_words_of_show_are_accepted(env, capsys):
    add_huts(env)
    assert main(["watch", "add", "--hut", "hut-0", "--from", "today", "--to", "weekend", "--notify", "ntfy://t"]) == 0
    assert "watch 1 added: hut-0" in capsys.readouterr().out


TELEGRAM_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
DISCORD_TOKEN = "Xq3rZ9sVtLkP0aBcDeFgHiJkLmNoPqRsTuVwXyZ"


def test_watch_add_list_show_print_no_notification_secret_and_the_stored_url_is_kept(env, capsys):
    add_huts(env)
    urls = [
        f"tgram://{TELEGRAM_TOKEN}/12345",
        f"discord://1234567890/{DISCORD_TOKEN}",
        "mailto://anna:secret@example.com",
    ]
    window = ["--from", DAY0.isoformat(), "--to", (DAY0 + dt.timedelta(days=1)).isoformat()]
    for url in urls:
        assert main(["watch", "add", "--hut", "hut-0", *window, "--notify", url]) == 0
    assert main(["watch", "list"]) == 0
    for watch_id in ("1", "2", "3"):
        assert main(["watch", "show", watch_id]) == 0
    out = capsys.readouterr()
    printed = out.out + out.err
    for secret in (TELEGRAM_TOKEN, TELEGRAM_TOKEN.split(":")[1], DISCORD_TOKEN, "secret"):
        assert secret not in printed
    assert "tgram://1...w/12345" in printed and "discord://1...0/X...Z" in printed
    assert "mailto://anna:****@example.com" in printed
    with env.connect() as conn:
        stored = [row[0] for row in conn.execute("SELECT notify_url FROM watches ORDER BY id")]
    assert stored == urls


def test_add_list_show_test_remove_against_a_real_webhook(env, capsys):
    [hut, _] = add_huts(env)
    with webhook_receiver() as receiver:
        argv = ["watch", "add", "--hut", "hut-0", "--from", DAY0.isoformat(), "--to", DAY0.isoformat()]
        assert main([*argv, "--beds", "2", "--notify", receiver.url(), "--name", "Konkordia"]) == 0
        assert main(["watch", "list"]) == 0
        out = capsys.readouterr().out
        assert f"    1  hut   hut-0  {DAY0}..{DAY0}  nights 1  beds 2  waiting  {receiver.url()}  Konkordia" in out
        assert main(["alerts", "send"]) == 0
        assert "evaluated 1 watch(es): 0 to notify" in capsys.readouterr().out
        with env.connect() as conn:  # a bed frees up
            write_batch(conn, [result(hut, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1), [2], start=DAY0)])
        assert main(["alerts", "send"]) == 0
        assert "1 to notify" in capsys.readouterr().out
        assert main(["alerts", "send"]) == 0
        assert main(["watch", "test", "1"]) == 0
        assert main(["watch", "show", "1"]) == 0
        shown = capsys.readouterr().out
        assert "satisfied, episode 1" in shown and "delivered" in shown
        # times for people in the configured zone, labelled (Europe/Zurich by default), not UTC
        created = re.search(r"created (\d{4}-\d\d-\d\d \d\d:\d\d) (CES?T)$", shown, re.M)
        assert created and "+00:00" not in shown, shown
        assert [m["title"] for m in receiver.received] == ["Free: Konkordia", "Test: watch 1"]
        receiver.status = 500
        assert main(["watch", "test", "1"]) == 1
        assert main(["watch", "show", "1"]) == 0
        assert "last error: " in capsys.readouterr().out
    assert main(["watch", "remove", "1"]) == 0
    assert main(["watch", "show", "1"]) == 2
    assert watch_count(env) == 0


def test_sigkill_between_decide_and_deliver_loses_and_duplicates_nothing(env, tmp_path):
    """The sender decides (commits the outbox), then waits for the delivery lock, which this test
    holds: it is killed there, with the message decided and not sent. The next `alerts send`
    delivers it, once."""
    [hut, _] = add_huts(env)
    with webhook_receiver() as receiver, env.connect() as lock:
        with env.connect() as conn:
            conn.execute(
                "INSERT INTO watches (kind, date_from, date_to, notify_url) VALUES ('hut', %s, %s, %s)",
                (DAY0, DAY0, receiver.url()),
            )
            conn.execute("INSERT INTO watch_huts VALUES (1, 0, %s, %s, %s)", (hut.hut_id, DAY0, DAY0))
            write_batch(conn, [result(hut, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1), [3], start=DAY0)])
        lock.execute("SELECT pg_advisory_lock(%s)", (DELIVERY_LOCK_KEY,))
        process_env = {**os.environ, "DATABASE_URL": libpq_url(env), "HUT_AVAILABILITY_HOME": str(tmp_path / "h")}
        command = [sys.executable, "-m", "hut_availability_pipeline.cli", "alerts", "send"]
        with subprocess.Popen(command, env=process_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as sender:
            deadline = time.monotonic() + 60
            waiting = False
            while time.monotonic() < deadline and not waiting:
                waiting = lock.execute(  # decided, and blocked on the delivery lock
                    "SELECT (SELECT count(*) FROM notifications) = 1 AND EXISTS (SELECT FROM pg_locks"
                    " WHERE locktype = 'advisory' AND NOT granted)"
                ).fetchone()[0]  # type: ignore[index]
                time.sleep(0.05)
            assert waiting, sender.stderr.read() if sender.poll() is not None else "sender never got there"
            sender.send_signal(signal.SIGKILL)
            assert sender.wait(30) == -signal.SIGKILL
        lock.execute("SELECT pg_advisory_unlock(%s)", (DELIVERY_LOCK_KEY,))
        assert receiver.received == []  # decided, not sent
        with env.connect() as conn:
            assert conn.execute("SELECT count(*) FROM notifications WHERE delivered_at IS NULL").fetchone() == (1,)
        done = subprocess.run(command, env=process_env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        assert "evaluated 1 watch(es): 0 to notify" in done.stdout  # decided before: not again
        assert "delivered 1 notification(s)" in done.stdout
        again = subprocess.run(command, env=process_env, capture_output=True, text=True, timeout=120, check=False)
        assert "delivered 0 notification(s)" in again.stdout
    assert len(receiver.received) == 1
    assert receiver.received[0]["message"].endswith("[watch-1-episode-1-0]")

"""`hut-availability`: the commands as a user runs them (in-process, real database and HTTP)."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest

from hut_availability_pipeline.cli import main
from hut_availability_pipeline.refresh.record import UpdateRecord
from hut_availability_pipeline.simulator import FaultConfig
from hut_availability_pipeline.storage.huts import HutRecord, huts_by_slug, load_huts
from hut_availability_pipeline.storage.update_records import read_update_record
from hut_availability_pipeline.storage.writer import write_batch

from ..conftest import libpq_url
from ..helpers import count, result


@pytest.fixture
def env(db, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", libpq_url(db))
    monkeypatch.setenv("HUT_AVAILABILITY_HOME", str(tmp_path / "home"))
    return db


def _slugs(db, n):
    with db.connect() as conn:
        return [r[0] for r in conn.execute("SELECT slug FROM huts ORDER BY id LIMIT %s", (n,))]


def test_huts_load_and_dry_run_lists_new_huts_without_writing(env, capsys):
    assert main(["huts", "load"]) == 0
    out = capsys.readouterr().out
    assert "608 added" in out  # hut-reservation.org's 567 huts and the 41 TMB refuges
    assert "  testhutte-carolin: test hut: inactive\n" in out
    assert (
        "  brisenhaus: coordinates 8.464166/46.914917 had latitude and longitude swapped: 46.914917/8.464166\n" in out
    )
    assert main(["update", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("would update 606 hut(s):")  # the two test huts are inactive
    assert count(env, "hut_availability") == 0 and count(env, "hut_fetch_status") == 0


def test_update_named_huts_against_the_simulator(env, simulator, monkeypatch, capsys):
    monkeypatch.setenv("HRS_BASE_URL", simulator.base_url)
    main(["huts", "load"])
    first, second = _slugs(env, 2)
    code = main(["update", "--hut-slug", first, "--hut-slug", second, "--days", "30", "--request-interval", "0",
                 "--no-progress", "--profile"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "updated 2 of 2 hut(s)" in out
    assert "fetch " in out and "database " in out and "top functions" in out
    assert 0 < count(env, "hut_availability") <= 60
    # the record for Dagster is one row (update_record_sensor turns it into a run: test_refresh.py)
    assert "kept as update record " in out
    record_id = int(out.split("kept as update record ")[1].split(":")[0])
    with env.connect() as conn:
        stored = read_update_record(conn, record_id)
    assert stored is not None and stored.trigger == "cli" and stored.huts == 2 and stored.run_id is None
    record = UpdateRecord.from_document(stored.report)
    assert sorted(o.hut.slug for o in record.report.stored) == sorted([first, second])
    assert main(["update", "--dry-run"]) == 0
    assert "would update 604 hut(s)" in capsys.readouterr().out  # the two are fresh now


def test_failed_huts_are_named_and_exit_1(env, own_simulator, monkeypatch, capsys):
    monkeypatch.setenv("HRS_BASE_URL", own_simulator.base_url)
    main(["huts", "load"])
    with env.connect() as conn:
        hut_id, slug, source_id = conn.execute(
            "SELECT id, slug, source_hut_id FROM huts ORDER BY id LIMIT 1"
        ).fetchone()
    own_simulator.simulator.set_faults(FaultConfig(unknown_huts=frozenset({int(source_id)})))
    code = main(
        ["update", "--hut-id", str(hut_id), "--days", "5", "--request-interval", "0", "--no-progress",
         "--no-dagster-report"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert f"{slug} (hrs:{source_id})" in err and "404" in err


@pytest.mark.parametrize(
    "argv,message",
    [
        (["update", "--hut-slug", "no-such-hut"], "no bookable hut with slug 'no-such-hut'"),
        (["update", "--hut-id", "424242"], "no bookable hut with id 424242"),
    ],
)
def test_unknown_huts_are_usage_errors(env, capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_bad_options_and_configuration_exit_2(env, monkeypatch, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["update", "--days", "0"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["update", "--all", "--hut-slug", "x"])
    assert exc.value.code == 2
    monkeypatch.setenv("HUT_AVAILABILITY_TIMEZONE", "Mars/Olympus")
    assert main(["update", "--dry-run"]) == 2
    assert "HUT_AVAILABILITY_TIMEZONE='Mars/Olympus' is not a known time zone" in capsys.readouterr().err
    monkeypatch.delenv("HUT_AVAILABILITY_TIMEZONE")
    bad = tmp_path / "bad.csv"
    bad.write_text("source,source_hut_id,slug,name\nhrs,1,ok,Ok\nhrs,2,BAD SLUG,Bad\n", encoding="utf-8")
    assert main(["huts", "load", str(bad)]) == 2
    assert "line 3: slug 'BAD SLUG'" in capsys.readouterr().err
    assert count(env, "huts") == 0


def test_database_url_password_never_printed(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "mysql://user:s3cret@host/db")
    assert main(["db", "where"]) == 2
    assert "s3cret" not in capsys.readouterr().err


def test_the_embedded_server_left_running_is_said_once_with_how_to_stop_it(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("HUT_AVAILABILITY_HOME", str(home))
    try:
        assert main(["db", "where"]) == 0
        err = capsys.readouterr().err
        assert err == (
            f"hut-availability: started the embedded PostgreSQL in {home / 'pg'}; it keeps running for the next"
            " commands (stop it with: hut-availability db stop)\n"
        )
        assert main(["db", "where"]) == 0  # already running: nothing to say
        assert capsys.readouterr().err == ""
    finally:
        assert main(["db", "stop"]) == 0
    assert capsys.readouterr().out == "stopped\n"


def test_plain_progress_lines_stay_whole_when_two_threads_print(db, capsys, monkeypatch):
    """`fetched` runs on the fetching thread, `stored` on the engine's writer thread; in a pipe their
    lines used to merge ("...: okstored 20/567 ...")."""
    import sys
    import threading

    from hut_availability_pipeline.cli.progress import Progress
    from hut_availability_pipeline.storage.writer import write_batch

    from ..helpers import T0, add_huts, result

    hut = add_huts(db, 1)[0]
    fetched = result(hut, T0, [3, 2])
    with db.connect() as conn:
        batch = write_batch(conn, [fetched])
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        progress = Progress(4000, enabled=False)
        threads = [
            threading.Thread(target=lambda: [progress.fetched(fetched) for _ in range(4000)]),
            threading.Thread(target=lambda: [progress.stored(batch, 1) for _ in range(4000)]),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(previous)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 8000
    whole = re.compile(r"fetched \d+/4000 hut-0: ok|stored \d+/4000 huts \(.*\) in \S+ s")
    bad = [line for line in lines if not whole.fullmatch(line)]
    assert bad == []


def test_a_closed_pipe_ends_show_quietly(db, tmp_path):
    """`show --format json | head`: the reader goes away after a few bytes; no traceback."""
    import subprocess
    import sys
    from pathlib import Path

    from hut_availability_pipeline.storage.writer import write_batch

    from ..helpers import START, T0, add_huts, result

    huts = add_huts(db, 300)
    with db.connect() as conn:
        write_batch(conn, [result(hut, T0, [5, 4, 3, 2, 1]) for hut in huts])  # 1500 rows, ~0.7 MB of JSON
    env = {k: v for k, v in os.environ.items() if k not in {"DAGSTER_HOME", "DAGSTER_POSTGRES_URL"}}
    env.update({"DATABASE_URL": libpq_url(db), "HUT_AVAILABILITY_HOME": str(tmp_path / "home")})
    last = (START + dt.timedelta(days=4)).isoformat()
    command = [str(Path(sys.executable).with_name("hut-availability")), "show", "--format", "json", "--limit", "0",
               "--from", START.isoformat(), "--to", last]  # fmt: skip
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as show:
        assert show.stdout is not None and show.stderr is not None
        assert show.stdout.read(10).startswith(b"[")
        show.stdout.close()  # what `head` does when it has its lines
        err = show.stderr.read().decode()
        assert show.wait(timeout=60) == 141, err
    assert err == ""


@pytest.mark.parametrize(
    "content,message",
    [
        ("source;source_hut_id;slug;name\nhrs;29;talli;Tälli\n".encode(),
         "line 1: the columns are separated by semicolons ('source;source_hut_id;slug;name'); expected commas"),
        ("source,source_hut_id,slug,name\nhrs,29,talli,Tälli\n".encode("utf-16"),
         "line 1: the file is UTF-16 (it starts with the byte order mark FF FE); expected UTF-8"),
        ("source,source_hut_id,slug,name\nhrs,29,talli,Tälli\n".encode("latin-1"),
         "line 2: byte 0xE4 is not UTF-8"),
    ],
)  # fmt: skip
def test_huts_load_of_another_delimiter_or_encoding_exits_2_naming_file_and_line(env, capsys, tmp_path, content,
                                                                                 message):  # fmt: skip
    path = tmp_path / "huts.csv"
    path.write_bytes(content)
    assert main(["huts", "load", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"hut-availability: error: {path}: {message}")
    assert "Traceback" not in captured.err and captured.out == ""
    assert count(env, "huts") == 0


def test_huts_load_accepts_a_csv_with_a_byte_order_mark(env, capsys, tmp_path):
    path = tmp_path / "huts.csv"
    path.write_text("source,source_hut_id,slug,name\nhrs,29,talli,Tälli\n", encoding="utf-8-sig")
    assert main(["huts", "load", str(path)]) == 0
    assert capsys.readouterr().out == "huts: 1 added, 0 updated\n"
    assert _slugs(env, 5) == ["talli"]


def test_huts_load_refuses_a_slug_change_unless_renaming(env, capsys, tmp_path):
    path = tmp_path / "huts.csv"
    path.write_text("source,source_hut_id,slug,name\nhrs,29,my-talli,Tälli\n", encoding="utf-8")
    assert main(["huts", "load", str(path)]) == 0
    path.write_text("source,source_hut_id,slug,name\nhrs,29,talli,Tälli\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["huts", "load", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(
        f"hut-availability: error: 1 slug change(s) refused, nothing loaded: {path}: line 2: hrs hut 29 has slug"
        " 'my-talli', not 'talli'."
    )
    assert "--rename" in captured.err and captured.out == ""
    assert _slugs(env, 5) == ["my-talli"]
    assert main(["huts", "load", "--rename", str(path)]) == 0
    assert (
        capsys.readouterr().out == f"huts: 0 added, 1 updated, 1 renamed\n  renamed my-talli → talli ({path}: line 2)\n"
    )
    assert _slugs(env, 5) == ["talli"]


def test_update_paces_by_the_request_interval_setting_unless_the_option_says_otherwise(monkeypatch):
    from hut_availability_pipeline.cli.update import request_intervals
    from hut_availability_pipeline.config import load_settings
    from hut_availability_pipeline.providers.registry import PROVIDERS

    monkeypatch.delenv("HUT_AVAILABILITY_REQUEST_INTERVAL", raising=False)
    assert request_intervals(None, load_settings()) == {}  # each provider's own
    assert request_intervals(0.0, load_settings()) == dict.fromkeys(PROVIDERS, 0.0)
    monkeypatch.setenv("HUT_AVAILABILITY_REQUEST_INTERVAL", "2.5")
    assert request_intervals(None, load_settings()) == dict.fromkeys(PROVIDERS, 2.5)
    assert request_intervals(0.5, load_settings()) == dict.fromkeys(PROVIDERS, 0.5)


def test_update_all_against_an_unreachable_site_says_it_once_per_provider(db, tmp_path):
    """`update --all` with both providers pointed at a closed port: the site is said to be
    unreachable once per provider, with the number of huts not asked, not once per hut."""
    import socket
    import subprocess
    import sys
    from pathlib import Path

    from hut_availability_pipeline.catalog.discover import records_of
    from hut_availability_pipeline.providers.registry import DiscoveredHut
    from hut_availability_pipeline.storage.huts import load_huts

    from ..helpers import add_huts

    add_huts(db, 150)
    cabins = [DiscoveredHut(str(i), f"Cabin {i}", None, "AT", None, None, None) for i in range(1, 61)]
    with db.connect() as conn:
        load_huts(conn, records_of("huetten-holiday", cabins, set(), set()))
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    env = {k: v for k, v in os.environ.items() if k not in {"DAGSTER_HOME", "DAGSTER_POSTGRES_URL"}}
    env.update(
        {
            "DATABASE_URL": libpq_url(db),
            "HUT_AVAILABILITY_HOME": str(tmp_path / "home"),
            "HRS_BASE_URL": closed,
            "HUETTEN_HOLIDAY_BASE_URL": closed,
            "HUT_AVAILABILITY_REQUEST_INTERVAL": "0",
        }
    )
    command = [str(Path(sys.executable).with_name("hut-availability")), "update", "--all"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    lines = (done.stdout + done.stderr).splitlines()
    assert done.returncode == 1, lines
    assert len(lines) <= 40, "\n".join(lines)
    assert "210 hut(s) failed:" in lines
    assert any(line.startswith("  149 hut(s) of hrs not asked: 127.0.0.1:") for line in lines), lines
    assert any("hut(s) of huetten-holiday not asked: 127.0.0.1:" in line for line in lines), lines
    assert "Traceback" not in done.stderr and "Stack Trace" not in done.stdout + done.stderr


def test_update_by_source_stores_tmb_and_ffcam_nights_without_totals_and_a_page_without_script_exits_1(
    env, own_simulator, monkeypatch, capsys, tmp_path
):
    for variable in ("TMB_BASE_URL", "FFCAM_BASE_URL"):
        monkeypatch.setenv(variable, own_simulator.base_url)
    refuges = tmp_path / "ffcam.csv"
    refuges.write_text("source,source_hut_id,slug,name\nffcam,85,refuge-de-l-aigle,Refuge de l'Aigle\n"
                       "ffcam,86,refuge-86,Refuge 86\n", encoding="utf-8")  # fmt: skip
    assert main(["huts", "load"]) == 0 and main(["huts", "load", str(refuges)]) == 0
    quick = ["--request-interval", "0", "--no-progress", "--no-dagster-report"]
    assert main(["update", "--all", "--source", "tmb", *quick]) == 0, capsys.readouterr()
    assert main(["update", "--all", "--source", "ffcam", *quick]) == 0, capsys.readouterr()
    with env.connect() as conn:
        per_source = dict(
            conn.execute(
                "SELECT o.slug, count(*) FROM hut_availability a JOIN huts h ON h.id = a.hut_id"
                " JOIN organizations o ON o.id = h.source_organization_id GROUP BY o.slug"
            ).fetchall()
        )
        wrong = conn.execute(
            "SELECT count(*) FROM hut_availability WHERE (total IS NOT NULL AND day_state <> 'closed')"
            " OR (free = 0 AND (day_state = 'bookable' OR reservation_status = 'possible'))"
        ).fetchone()
        kinds = {r[0] for r in conn.execute("SELECT DISTINCT day_state FROM hut_availability")}
    assert per_source["tmb"] > 41 * 100 and per_source["ffcam"] == 2 * 365
    assert wrong == (0,)
    assert {"bookable", "not_bookable_online"} <= kinds
    capsys.readouterr()
    own_simulator.simulator.ffcam.set_faults(FaultConfig(p_malformed=1.0, malformed_kinds=("renamed",)))
    assert main(["update", "--all", "--source", "ffcam", *quick]) == 1
    err = capsys.readouterr().err
    assert "refuge-de-l-aigle (ffcam:85)" in err and "no BK.globalAvailability script" in err
    with env.connect() as conn:
        assert conn.execute("SELECT count(*) FROM hut_availability a JOIN huts h ON h.id = a.hut_id"
                            " WHERE h.slug = 'refuge-de-l-aigle'").fetchone() == (365,)  # fmt: skip


def test_huts_list_has_a_header_and_is_sorted_by_slug_with_times_in_the_configured_zone(env, monkeypatch, capsys):
    monkeypatch.setenv("HUT_AVAILABILITY_TIMEZONE", "Europe/Zurich")
    assert main(["huts", "list"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no huts loaded: load them with `hut-availability huts load`" in captured.err
    with env.connect(autocommit=True) as conn:
        load_huts(conn, [HutRecord("hrs", str(i), slug, slug) for i, slug in enumerate(("zeta", "alpha", "mid"))])
        [zeta] = huts_by_slug(conn, ["zeta"])
        write_batch(conn, [result(zeta, dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC), [3])])
    assert main(["huts", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "slug\tsource:id\ttier\tlast check"
    assert [line.split("\t")[0] for line in lines[1:]] == ["alpha", "mid", "zeta"]  # not by last check
    assert lines[-1].split("\t")[1:] == ["hrs:0", "unknown", "2026-01-05 10:30 CET"]  # its dates are past


def test_simulator_free_gives_a_night_places_that_the_next_update_stores(env, monkeypatch, capsys):
    """`simulator free` talks to a running simulator: the night has the places asked for from then on,
    and an update of the hut stores them (the demo's way to make a watch fire)."""
    from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer
    from hut_availability_pipeline.simulator.catalog import SERVICED

    from ..helpers import add_huts

    (hut,) = add_huts(env, 1)
    with SimulatorServer(SimulatorConfig(seed=3), port=0) as server:
        days = server.simulator.availability(int(hut.source_hut_id))
        night = next(d for d in days[3:] if d.status == SERVICED and d.total > 4 and d.free != 4)
        free = ["simulator", "free", "--hut", hut.slug, "--date", night.date.isoformat(), "--url", server.base_url]
        assert main([*free, "--places", "4"]) == 0
        assert f"{hut.slug} {night.date.isoformat()}: 4 of {night.total} places free" in capsys.readouterr().out
        now = server.simulator.availability(int(hut.source_hut_id))
        assert [d.free for d in now if d.ordinal == night.ordinal] == [4]
        monkeypatch.setenv("HRS_BASE_URL", server.base_url)
        assert main(["update", "--hut-slug", hut.slug, "--request-interval", "0", "--no-dagster-report"]) == 0
        with env.connect() as conn:
            stored = conn.execute(
                "SELECT free FROM hut_availability WHERE hut_id = %s AND availability_date = %s",
                (hut.hut_id, night.date),
            ).fetchone()
        assert stored == (4,)
        closed = next(d for d in days if d.status != SERVICED)
        assert main([*free[:5], closed.date.isoformat(), "--url", server.base_url]) == 2
        assert "is not serviced on" in capsys.readouterr().err
    assert main(["simulator", "free", "--hut", "nope", "--date", "2030-01-01", "--url", "http://127.0.0.1:9"]) == 2
    assert "no bookable hut with slug 'nope'" in capsys.readouterr().err


def test_demo_flag_works_on_the_demo_home_and_refuses_a_database_of_its_own(tmp_path, monkeypatch, capsys):
    from hut_availability_pipeline.config import Settings
    from hut_availability_pipeline.providers.registry import PROVIDERS

    sites = [Settings.variable(p.base_url_setting) for p in PROVIDERS.values()]
    for name in ("DATABASE_URL", "DAGSTER_HOME", "DAGSTER_POSTGRES_URL", *sites):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUT_AVAILABILITY_HOME", str(tmp_path / "home"))
    assert main(["--demo", "simulator", "free", "--hut", "x", "--date", "2030-01-01"]) == 2
    assert f"no simulator address in {tmp_path / 'home' / 'demo' / 'simulator.url'}" in capsys.readouterr().err
    # the demo's booking sites are its simulator (as the running demo wrote its address)
    import argparse

    from hut_availability_pipeline.cli import _demo
    from hut_availability_pipeline.config import load_settings

    (tmp_path / "home" / "demo").mkdir(parents=True)
    (tmp_path / "home" / "demo" / "simulator.url").write_text("http://127.0.0.1:36493\n")
    demo = _demo(argparse.Namespace(command="update"), load_settings())
    assert demo.resolved_home == tmp_path / "home" / "demo"
    # every booking site of the registry: a demo must never ask a real site (TMB and FFCAM too)
    assert {p.source: getattr(demo, p.base_url_setting) for p in PROVIDERS.values()} == dict.fromkeys(
        PROVIDERS, "http://127.0.0.1:36493"
    )
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    assert main(["--demo", "huts", "list"]) == 2
    assert "--demo works on the demo's own embedded database; unset DATABASE_URL" in capsys.readouterr().err

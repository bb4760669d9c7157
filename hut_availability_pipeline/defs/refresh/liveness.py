"""Runs whose worker is gone: found and failed, so that their huts are refreshed again.

Dagster's run monitoring (dagster.yaml `run_monitoring`) fails runs that never start
(`start_timeout_seconds`), cancels runs that take too long (`dagster/max_runtime`) and frees the
pool slots a finished run still holds (`free_slots_after_run_end_seconds`); but it cannot tell
whether the worker of a STARTED run still lives. That needs a worker health check from the run
launcher, and the default run launcher (the one of `dagster dev`) has none
(`supports_check_run_worker_health` is False in Dagster 1.13). Its run workers are subprocesses of
the code server that launched them, and that server fails a run whose worker dies while the
server itself runs. Nobody noticed a run whose code server went with it (a stop of
`hut-availability dev` mid-run, a SIGKILL, a power loss): it stayed STARTED forever, and its huts
counted as in flight, so the sensor never requested them again.

`fail_runs_without_worker` closes that gap. Dagster records the address of the code server that
launched a run in the run's hidden `.dagster/grpc_info` tag; a STARTED run whose code server no longer
accepts connections on that address has no worker, and is marked failed with a message that says
so. Only a refused connection (or a vanished socket file) counts: a timeout may be the network,
and such a run is left to `dagster/max_runtime`. A run without the tag (executed in-process,
e.g. the CLI's report runs) is left alone; so is a run whose address a new code server happens to
listen on again (then `dagster/max_runtime` ends it).
"""

from __future__ import annotations

import contextlib
import json
import socket
from dataclasses import dataclass
from typing import Any

import dagster as dg

GRPC_INFO_TAG = ".dagster/grpc_info"
"""Where the default run launcher records the code server of a run (host and port, or socket)."""
CONNECT_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class FailedRun:
    """A run marked failed because its worker is gone."""

    run_id: str
    job_name: str
    address: str


def code_server_address(run: dg.DagsterRun) -> str | None:
    """The code server address recorded for `run` ("host:port" or a socket path), None if none."""
    raw = run.tags.get(GRPC_INFO_TAG)
    if not raw:
        return None
    try:
        info = json.loads(raw)
    except ValueError:
        return None
    if info.get("socket"):
        return str(info["socket"])
    if info.get("port"):
        return f"{info.get('host') or 'localhost'}:{info['port']}"
    return None


def refuses_connections(address: str, timeout: float = CONNECT_TIMEOUT_SECONDS) -> bool:
    """True when nothing listens on `address` any more (connection refused, socket file gone);
    False when something accepts the connection or the answer is unclear (a timeout)."""
    targets: list[tuple[socket.AddressFamily, Any]]
    if address.startswith("/"):
        targets = [(socket.AF_UNIX, address)]
    else:
        host, _, port = address.rpartition(":")
        try:
            infos = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
        except OSError:
            return False
        targets = [(family, sockaddr) for family, _, _, _, sockaddr in infos]
    refused = False
    for family, sockaddr in targets:  # e.g. localhost: ::1 and 127.0.0.1; any that accepts is alive
        try:
            with contextlib.closing(socket.socket(family, socket.SOCK_STREAM)) as s:
                s.settimeout(timeout)
                s.connect(sockaddr)
        except (ConnectionRefusedError, FileNotFoundError):
            refused = True
        except TimeoutError:
            return False
        except OSError:
            continue  # e.g. no IPv6 here
        else:
            return False
    return refused


def fail_runs_without_worker(instance: dg.DagsterInstance, by: str) -> list[FailedRun]:
    """Mark every STARTED run whose code server is gone as failed (see the module docstring);
    `by` names who noticed (a sensor, a schedule) in the run's failure message."""
    failed = []
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    for record in records:
        run = record.dagster_run
        address = code_server_address(run)
        if address is None or not refuses_connections(address):
            continue
        current = instance.get_run_by_id(run.run_id)
        if current is None or current.status != dg.DagsterRunStatus.STARTED:
            continue  # it finished while we looked
        instance.report_run_failed(
            current,
            f"The worker of this run is gone: the code server that ran it ({address}) no longer accepts"
            " connections, so Dagster stopped or crashed while the run was in progress (a stop of"
            f" `hut-availability dev`, a killed process, a power loss). Marked failed by {by} so that"
            " its work is requested again; what it stored before is kept.",
        )
        failed.append(FailedRun(run.run_id, run.job_name, address))
    return failed

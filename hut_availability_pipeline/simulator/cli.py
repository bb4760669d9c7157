"""Command-line options of the simulator, for `hut-availability simulator` and `python -m`."""

from __future__ import annotations

import argparse
import datetime as dt

from .core import SimulatorConfig
from .faults import MALFORMED_KINDS, FaultConfig, parse_hut_ids


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a probability must be within [0, 1], got {text}")
    return value


def _start(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date/time: {text!r}") from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the simulator's server, clock, log and fault options to `parser`."""
    server = parser.add_argument_group("simulator")
    server.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    server.add_argument("--port", type=int, default=8099, help="port (default 8099, 0 = any free port)")
    server.add_argument("--seed", type=int, default=1, help="seed of huts, dynamics and faults")
    server.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    server.add_argument("--start", type=_start, default=None, help="simulated start time (ISO, UTC)")
    server.add_argument("--catalog", default=None, help="hut catalog JSON (default: the packaged one)")
    server.add_argument("--tick-seconds", type=float, default=60.0, help="states change at most per tick")
    server.add_argument("--served-log", default=None, help="JSONL file: one line per served answer")

    faults = parser.add_argument_group("simulator faults")
    faults.add_argument("--fault-seed", type=int, default=None, help="seed of fault draws (default --seed)")
    faults.add_argument(
        "--fault-403-rate", type=float, default=None, metavar="RPS", help="403 above this many requests/s"
    )
    faults.add_argument(
        "--fault-403-block",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="keep answering 403 after a burst",
    )
    faults.add_argument("--fault-429", type=_probability, default=0.0, metavar="P", help="random 429")
    faults.add_argument("--fault-5xx", type=_probability, default=0.0, metavar="P", help="random 500/502/503/504")
    faults.add_argument("--fault-slow", type=_probability, default=0.0, metavar="P", help="delayed answers")
    faults.add_argument("--fault-slow-seconds", type=float, default=2.0, help="delay of a slow answer")
    faults.add_argument("--fault-malformed", type=_probability, default=0.0, metavar="P", help="broken JSON")
    faults.add_argument(
        "--fault-malformed-kinds",
        default=",".join(MALFORMED_KINDS),
        help=f"comma-separated subset of {','.join(MALFORMED_KINDS)}",
    )
    faults.add_argument("--unknown-huts", default="", metavar="IDS", help="comma-separated ids answering 404")
    faults.add_argument("--broken-huts", default="", metavar="IDS", help="comma-separated ids answering 500")


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    """Build a `SimulatorConfig` from options added by `add_arguments`."""
    kinds = tuple(k.strip() for k in args.fault_malformed_kinds.split(",") if k.strip())
    faults = FaultConfig(
        seed=args.fault_seed,
        rate_limit_rps=args.fault_403_rate,
        rate_limit_block_seconds=args.fault_403_block,
        p_429=args.fault_429,
        p_5xx=args.fault_5xx,
        p_slow=args.fault_slow,
        slow_seconds=args.fault_slow_seconds,
        p_malformed=args.fault_malformed,
        malformed_kinds=kinds,
        unknown_huts=parse_hut_ids(args.unknown_huts),
        broken_huts=parse_hut_ids(args.broken_huts),
    )
    return SimulatorConfig(
        seed=args.seed,
        catalog_path=args.catalog,
        start=args.start,
        speed=args.speed,
        served_log=args.served_log,
        faults=faults,
        tick_seconds=args.tick_seconds,
    )

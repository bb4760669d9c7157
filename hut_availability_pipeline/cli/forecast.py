"""`hut-availability forecast [backtest]`: the forecast of every future hut-night as of a time, from
the stored history up to that time; and the real-time backtest of it against the baselines."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
from typing import Any, cast

from ..config import Settings
from .common import EXIT_OK, UsageError, open_db

OUTPUT_FIELDS = ("hut", "date", "lead", "free_now", "observed_at", "median_free", "p_sold_out", "p_frees_up")


def _time(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no offset (e.g. 2024-07-01T12:00:00+02:00)")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("backtest",), help="backtest: score the forecast on the history")
    parser.add_argument("--as-of", type=_time, metavar="TIME", help="forecast as of this time (default: now)")
    parser.add_argument("--format", choices=("json", "table"), default="table")
    parser.add_argument("--hut", metavar="SLUG", help="print this hut's nights only (the forecast pools all huts)")
    parser.add_argument("--from", dest="from_date", type=dt.date.fromisoformat, metavar="DATE", help="first night")
    parser.add_argument("--to", dest="to_date", type=dt.date.fromisoformat, metavar="DATE", help="last night")
    parser.add_argument("--first", type=_time, metavar="TIME", help="backtest: first as-of time (default: 14 days in)")
    parser.add_argument(
        "--last", type=_time, metavar="TIME", help="backtest: last as-of time (default: the last check)"
    )
    parser.add_argument("--step", type=int, default=7, metavar="DAYS", help="backtest: days between as-of times (7)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "backtest":
        return _backtest(args, settings)
    return _forecast(args, settings)


def _number(value: Any, digits: int = 3) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def forecast_rows(conn: Any, as_of: dt.datetime, hut: str | None, from_date: Any, to_date: Any) -> list[dict[str, Any]]:
    """The forecast as of `as_of` from the stored checks up to then, as plain objects (all huts
    forecast together; `hut`, `from_date`, `to_date` only filter the output)."""
    from ..forecast.model import forecast, prepare
    from ..history.export import observations, read_checks

    result = forecast(prepare(observations(read_checks(conn, as_of=as_of))), as_of)
    rows = []
    records = cast("list[dict[str, Any]]", result.to_dict("records"))  # pandas-stubs type the keys as Hashable
    for r in map(_ns, records):
        if (hut and r.hut != hut) or (from_date and r.night < from_date) or (to_date and r.night > to_date):
            continue
        rows.append(
            {
                "hut": r.hut,
                "date": r.night.isoformat(),
                "lead": int(r.lead),
                "free_now": int(r.free_now),
                "observed_at": r.observed_at.isoformat(),
                "median_free": int(r.median_free),
                "p_sold_out": _number(r.p_sold_out),
                "p_frees_up": _number(r.p_frees_up),
                "history_nights": int(r.history_nights),
            }
        )
    return rows


def _ns(record: dict[str, Any]) -> argparse.Namespace:
    return argparse.Namespace(**record)


def _forecast(args: argparse.Namespace, settings: Settings) -> int:
    from ..storage.huts import huts_by_slug

    as_of = args.as_of or dt.datetime.now(dt.UTC)
    with open_db(settings).connect() as conn:
        if args.hut:
            try:
                huts_by_slug(conn, [args.hut])
            except KeyError as exc:
                raise UsageError(str(exc.args[0])) from None
        rows = forecast_rows(conn, as_of, args.hut, args.from_date, args.to_date)
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    print(f"{'hut':<32} {'date':<10} {'lead':>4} {'free now':>8} {'median':>6} {'sold out':>8} {'frees up':>8}")
    for r in rows:
        up = "" if r["p_frees_up"] is None else f"{r['p_frees_up']:.0%}"
        print(
            f"{r['hut']:<32} {r['date']:<10} {r['lead']:>4} {r['free_now']:>8} {r['median_free']:>6}"
            f" {r['p_sold_out']:>8.0%} {up:>8}"
        )
    if rows:
        print(f"as of {as_of.isoformat()}, learnt from {rows[0]['history_nights']} past hut-nights")
    return EXIT_OK


def _backtest(args: argparse.Namespace, settings: Settings) -> int:
    from ..forecast.backtest import as_of_times, backtest, better_baseline
    from ..forecast.model import prepare
    from ..history.export import observations, read_checks

    with open_db(settings).connect() as conn:
        checks = read_checks(conn)
    if checks.empty:
        raise UsageError("no stored history to backtest on (import some: hut-availability history import FILE.csv)")
    first = args.first or (checks["observed_at"].min() + dt.timedelta(days=14)).to_pydatetime()
    last = args.last or checks["observed_at"].max().to_pydatetime()
    times = as_of_times(first, last, args.step)
    scores = backtest(prepare(observations(checks)), times)
    ratios = better_baseline(scores)
    print(f"backtest: {len(times)} as-of times from {first.isoformat()} to {last.isoformat()}, every {args.step} days")
    print(
        f"{'lead':>7} {'nights':>6} | {'MAE forecast':>12} {'naive':>6} {'pickup':>6} | "
        f"{'Brier sold out':>14} {'naive':>6} {'base':>6} | {'Brier frees up':>14} {'naive':>6} {'base':>6}"
    )
    score_records = cast("list[dict[str, Any]]", scores.to_dict("records"))  # pandas-stubs type the keys as Hashable
    ratio_records = cast("list[dict[str, Any]]", ratios.to_dict("records"))  # pandas-stubs type the keys as Hashable
    for s, r in zip(map(_ns, score_records), map(_ns, ratio_records), strict=True):
        if not s.nights:
            print(f"{s.bucket:>7} {0:>6} | no nights")
            continue
        print(
            f"{s.bucket:>7} {s.nights:>6} | {s.mae_forecast:>12.3f} {s.mae_naive:>6.3f} {s.mae_pickup:>6.3f} | "
            f"{s.brier_sold_out_forecast:>14.3f} {s.brier_sold_out_naive:>6.3f} {s.brier_sold_out_base_rate:>6.3f} | "
            f"{s.brier_frees_up_forecast:>14.3f} {s.brier_frees_up_naive:>6.3f} {s.brier_frees_up_base_rate:>6.3f}"
            f"   (vs better baseline: MAE {r.mae:.2f}, sold out {r.brier_sold_out:.2f},"
            f" frees up {r.brier_frees_up:.2f})"
        )
    return EXIT_OK

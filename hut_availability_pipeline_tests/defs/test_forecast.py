"""The forecast asset, its check, job and schedule on the real Dagster machinery and a real
database holding real TMB checks (fixtures/tmb, MIT) imported under the source `hrs`."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
from pathlib import Path

import dagster as dg
import pytest

from hut_availability_pipeline.catalog.files import csv_records
from hut_availability_pipeline.config import load_settings
from hut_availability_pipeline.defs.forecast import (
    CHECK_NAME,
    build_forecast_schedule,
    forecast_job,
    hut_availability_forecast,
)
from hut_availability_pipeline.defs.resources import DatabaseResource
from hut_availability_pipeline.history.importer import import_history
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.forecasts import read_forecast
from hut_availability_pipeline.storage.huts import load_huts

from ..conftest import FIXTURES

TMB = FIXTURES / "tmb"
NOW = dt.datetime(2024, 7, 10, 12, tzinfo=dt.UTC)


def _import(db: Database, tmp_path: Path, rows: list[dict[str, str]]) -> None:
    huts = tmp_path / "huts.csv"
    huts.write_text((TMB / "huts.csv").read_text(encoding="utf-8").replace("\ntmb,", "\nhrs,"), encoding="utf-8")
    path = tmp_path / "obs.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with db.connect() as conn:
        load_huts(conn, csv_records(huts))
        import_history(conn, path, today=NOW.date(), retention_days=400)


def _tmb_rows() -> list[dict[str, str]]:
    with gzip.open(TMB / "observations-extract.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        return [{**row, "source": "hrs"} for row in csv.DictReader(handle)]


def materialize(db: Database, now: dt.datetime = NOW) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [hut_availability_forecast],
        resources={"database": DatabaseResource(conninfo=db.conninfo), "settings": load_settings()},
        run_config={"ops": {"hut_availability_forecast": {"config": {"now": now.isoformat()}}}},
        instance=dg.DagsterInstance.ephemeral(),
    )


@pytest.fixture
def tmb(db: Database, tmp_path: Path) -> Database:
    _import(db, tmp_path, _tmb_rows())
    return db


def test_materialization_stores_the_forecast_and_its_backtest(tmb: Database) -> None:
    out = materialize(tmb)
    assert out.success
    (event,) = out.get_asset_materialization_events()
    meta = {k: v.value for k, v in event.materialization.metadata.items()}
    assert meta["dagster/row_count"] == 6 * 10  # six refuges, nights 07-11..07-20
    assert meta["history_nights"] == 6 * 20  # nights 06-20..07-09 are past
    assert meta["as_of"] == NOW.timestamp()
    assert meta["backtest_1_7_mae_naive"] >= 0 and "backtest_59_120_mae_forecast" not in meta
    assert "| 1–7 |" in meta["backtest"]
    (check,) = out.get_asset_check_evaluations()
    assert check.check_name == CHECK_NAME
    assert check.metadata["scored_nights"].value > 100
    with tmb.connect() as conn:
        nights = read_forecast(conn, "refuge-des-pres")
        one = read_forecast(conn, "refuge-des-pres", dt.date(2024, 7, 12))
    assert [n.date for n in nights] == [dt.date(2024, 7, 11) + dt.timedelta(days=i) for i in range(10)]
    assert one == [nights[1]]
    assert all((n.p_frees_up is None) == (n.free_now > 0) for n in nights)


def test_the_check_fails_when_the_forecast_is_worse_than_naive(db: Database, tmp_path: Path) -> None:
    """A season that turns: nights until 06-09 sold out on their eve from 10 places the day before,
    later ones keep their 10 places. Learnt from the first, the forecast says "sold out" for the
    nights it is scored on, which naive gets right."""
    rows = []
    for n in range(40):
        night = dt.date(2024, 6, 1) + dt.timedelta(days=n)
        for ahead in range(30, -1, -1):
            seen = night - dt.timedelta(days=ahead)
            free = 0 if (ahead == 0 and night <= dt.date(2024, 6, 9)) else 10
            for hut in ("110727", "116702"):
                rows.append(
                    {
                        "observed_at": f"{seen.isoformat()}T08:00:00+00:00",
                        "source": "hrs",
                        "source_hut_id": hut,
                        "date": night.isoformat(),
                        "free": str(free),
                        "total": "",
                    }
                )
    rows.sort(key=lambda r: r["observed_at"])
    _import(db, tmp_path, rows)
    out = materialize(db, dt.datetime(2024, 7, 8, 12, tzinfo=dt.UTC))
    (check,) = out.get_asset_check_evaluations()
    assert not check.passed
    assert "naive" in check.metadata["worse_than_naive"].value


def test_job_and_schedule_wiring(db: Database) -> None:
    schedule = build_forecast_schedule(load_settings())
    assert hut_availability_forecast.asset_deps[hut_availability_forecast.key] == {
        dg.AssetKey("hut_availability_trends")
    }
    defs = dg.Definitions(
        assets=[hut_availability_forecast],
        jobs=[forecast_job],
        schedules=[schedule],
        resources={"database": DatabaseResource(conninfo=db.conninfo), "settings": load_settings()},
    )
    dg.Definitions.validate_loadable(defs)
    assert schedule.cron_schedule == "15 0 * * *"
    job = defs.resolve_job_def("hut_availability_forecast_job")
    assert [n.name for n in job.graph.nodes] == ["hut_availability_forecast"]

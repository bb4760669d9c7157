"""Watches after each refresh batch: evaluate the watches that the batch's changes touch, then
deliver the outbox, as two steps of `watch_alerts_job` (the same engine calls as `alerts send`).

`watch_alerts_sensor` looks every 30 s for refresh runs (tag hut_availability/kind refresh or
report) that finished since its cursor and requests one run for them. The evaluation step reads
the changes since its last run from the history (storage/watches.py: evaluate_changes), so a run
evaluates only the watches whose hut-dates changed. Delivery is its own step with its own retry
policy, in the `watch_delivery` pool, whose limit is 1 (dagster.yaml's pools default_limit,
which Dagster gives a pool the first time a step claims it; `dagster instance concurrency set
watch_delivery 1` pins it should the default change): no two runs deliver at once, and a run
that would deliver waits for the slot before its step starts. Within the step, messages go out
one after the other (notify/delivery.py); the storage side also serializes senders (the CLI's
`alerts send` too) with an advisory lock. Each step's metadata says how many watches were
evaluated, fired and expired, and how many notifications were delivered and failed.
"""

import datetime as dt

import dagster as dg

from ...config import Settings
from ...domain.dates import today_in
from ...notify.delivery import deliver_due
from ...notify.mail import MailServer
from ...storage.subscriptions import purge
from ...watches.evaluation import evaluate_changes
from ..refresh.after_refresh import refresh_runs_finished
from ..resources import DatabaseResource

DELIVERY_POOL = "watch_delivery"
INTERVAL_SECONDS = 30


@dg.op(description="Evaluate the watches touched by changes since the last evaluation; queue notifications.")
def evaluate_watches(
    context: dg.OpExecutionContext, database: DatabaseResource, settings: dg.ResourceParam[Settings]
) -> int:
    with database.database().connect() as conn:
        purge(conn)  # unconfirmed and long-expired watches of e-mail addresses, addresses left without one
        result = evaluate_changes(conn, today_in(settings.zone, dt.datetime.now(dt.UTC)))
    context.add_output_metadata(
        {"watches evaluated": result.evaluated, "watches fired": result.fired, "watches expired": result.expired}
    )
    return result.fired


@dg.op(
    description="Deliver the due notifications of the outbox (apprise).",
    retry_policy=dg.RetryPolicy(max_retries=3, delay=60, backoff=dg.Backoff.EXPONENTIAL),
    pool=DELIVERY_POOL,
)
def deliver_notifications(
    context: dg.OpExecutionContext, database: DatabaseResource, settings: dg.ResourceParam[Settings], fired: int
) -> None:
    mailer = MailServer.of(settings.smtp_url, settings.mail_from, settings.public_url)
    result = deliver_due(database.database(), mailer=mailer)
    context.add_output_metadata({"notifications delivered": result.delivered, "notifications failed": result.failed})
    if result.failed:
        raise dg.Failure(
            f"{result.failed} notification(s) failed (each keeps its error: hut-availability watch show ID)",
            metadata={"notifications delivered": result.delivered, "notifications failed": result.failed},
        )


@dg.job(name="watch_alerts_job", description="Evaluate watches touched by changes and deliver their notifications.")
def watch_alerts_job() -> None:
    deliver_notifications(evaluate_watches())


@dg.sensor(
    name="watch_alerts_sensor",
    job=watch_alerts_job,
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After refresh runs finish: evaluate the watches their changes touch and deliver.",
)
def watch_alerts_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    finished = refresh_runs_finished(context)
    if finished is None:
        return dg.SensorResult(skip_reason="no refresh run finished since the last evaluation of watches")
    request = dg.RunRequest(run_key=f"watches-after-{finished.newest.dagster_run.run_id}")
    return dg.SensorResult(run_requests=[request], cursor=finished.cursor)

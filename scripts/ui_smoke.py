"""Drive a running Dagster UI of this project through GraphQL: wait until it answers, wait for the
priority sensor's runs, launch jobs and wait for them. Used by scripts/screenshot_lineage.sh so the
lineage shows a pipeline that has run.

    .venv/bin/python scripts/ui_smoke.py --port 3000 [--launch JOB ...] [--timeout 300]
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import httpx

LOCATION = "hut_availability_pipeline"
REPOSITORY = "__repository__"
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


class UI:
    def __init__(self, port: int, timeout: float) -> None:
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        self.deadline = time.monotonic() + timeout

    def query(self, text: str, **variables: Any) -> dict[str, Any]:
        body = self.client.post("/graphql", json={"query": text, "variables": variables}).json()
        if "errors" in body:
            raise RuntimeError(body["errors"])
        return body["data"]  # type: ignore[no-any-return]

    def wait(self, what: str, condition: Any) -> Any:
        while time.monotonic() < self.deadline:
            try:
                if value := condition():
                    return value
            except (httpx.HTTPError, RuntimeError, KeyError, TypeError):
                pass
            time.sleep(1.0)
        sys.exit(f"ui_smoke: timed out waiting for {what}")

    def runs(self, tags: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
        data = self.query(
            "query($f: RunsFilter) { runsOrError(filter: $f) { ... on Runs { results { runId jobName status } } } }",
            f={"tags": tags or []},
        )
        return data["runsOrError"]["results"]  # type: ignore[no-any-return]

    def launch(self, job: str) -> str:
        result = self.query(
            """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
                 __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""",
            params={"selector": {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "jobName": job}},
        )["launchRun"]
        if result["__typename"] != "LaunchRunSuccess":
            sys.exit(f"ui_smoke: launching {job} failed: {result}")
        return str(result["run"]["runId"])

    def finished(self, run_ids: list[str]) -> bool:
        status = {r["runId"]: r["status"] for r in self.runs()}
        return all(status.get(run_id) in FINISHED for run_id in run_ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--launch", action="append", default=[], metavar="JOB", help="job to run afterwards")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    ui = UI(args.port, args.timeout)
    ui.wait("the UI", lambda: ui.client.get("/server_info").status_code == 200)
    sensor = [{"key": "dagster/sensor_name", "value": "hut_priority_sensor"}]
    runs = ui.wait("the priority sensor's runs", lambda: ui.runs(sensor))
    ui.wait("the priority sensor's runs to finish", lambda: ui.finished([r["runId"] for r in runs]))
    launched = [ui.launch(job) for job in args.launch]
    ui.wait("the launched runs", lambda: ui.finished(launched))
    for run in ui.runs():
        print(f"{run['jobName']:<32} {run['status']:<8} {run['runId']}")


if __name__ == "__main__":
    main()

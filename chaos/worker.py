"""A run in a process of its own, for the SIGKILL fault: `python -m chaos.worker ARGS_JSON`."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import huts_by_id

from .recording import recorded_update


def main() -> None:
    args = json.loads(sys.argv[1])
    db = Database(args["conninfo"])
    with db.connect() as conn:
        huts = huts_by_id(conn, args["hut_ids"])
    print("started", flush=True)
    recorded_update(
        db, args["base_url"], huts, dt.date.fromisoformat(args["start"]), args["days"], Path(args["commit_log"]),
        batch_size=1,
    )  # fmt: skip
    print("finished", flush=True)


if __name__ == "__main__":
    main()

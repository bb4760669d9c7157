"""Progress of an `update`: rich bars on a terminal, whole plain lines otherwise."""

from __future__ import annotations

import sys
import threading
from typing import Any


class Progress:
    """Rich progress bars for fetching and storing on a terminal; plain lines otherwise.

    `fetched` runs on the fetching thread and `stored` on the engine's writer thread. `print` writes
    the text and its newline separately, so two threads printing at once merged lines in a pipe;
    each plain line is written whole, under a lock.
    """

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self.done_fetch = 0
        self.done_store = 0
        self._progress: Any = None
        self._lock = threading.Lock()
        self._not_asked: set[str] = set()  # sources whose unasked huts were said once

    def _line(self, text: str) -> None:
        with self._lock:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
            )
            self._progress.start()
            self._fetch_task = self._progress.add_task("fetching", total=self.total)
            self._store_task = self._progress.add_task("storing", total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def fetched(self, result: Any) -> None:
        self.done_fetch += 1
        if self._progress is not None:
            self._progress.advance(self._fetch_task)
        elif result.error and result.requests == 0:
            # not asked (its provider is unreachable or cooling down): said once per provider; the
            # summary counts them
            if result.hut.source not in self._not_asked:
                self._not_asked.add(result.hut.source)
                self._line(
                    f"fetched {self.done_fetch}/{self.total} {result.hut.slug}: FAILED: {result.error}"
                    f" (the next huts of {result.hut.source} not asked are not listed)"
                )
        else:
            status = "ok" if result.ok else f"FAILED: {result.error}"
            self._line(f"fetched {self.done_fetch}/{self.total} {result.hut.slug}: {status}")

    def stored(self, batch: Any, huts: int) -> None:
        self.done_store += huts
        if self._progress is not None:
            self._progress.advance(self._store_task, huts)
        elif batch.counts:  # a batch of huts none of which was fetched stored nothing to say
            t = batch.total()
            self._line(
                f"stored {self.done_store}/{self.total} huts (batch: {t.new} new, {t.changed} changed, "
                f"{t.unchanged} unchanged) in {batch.seconds:.2f} s"
            )

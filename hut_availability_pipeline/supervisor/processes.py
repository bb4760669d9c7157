"""Long-lived Dagster processes started from our commands (`dev`, `deploy`): each in a process group
of its own, its output relayed without colour codes when ours is not a terminal, stopped as Ctrl-C
would stop it and then whatever is left of its group; SIGINT and SIGTERM turned into `Stop`.

Processes started from a script in the background inherit SIGINT ignored; every command here is
started through `env --default-signal=INT,TERM`, so Dagster can still be stopped."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import IO

from ..errors import EXIT_USAGE, HutAvailabilityError

GRACEFUL_SECONDS = 30.0
_ANSI_ESCAPE = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


class Stop(HutAvailabilityError):
    """SIGINT or SIGTERM arrived: shut down."""


class StartError(HutAvailabilityError):
    """A command cannot start (home in use, port taken, conflicting settings): exit status 2."""

    exit_status = EXIT_USAGE


def executable(name: str) -> str:
    """The console script `name` of this interpreter's environment, else `name` on PATH."""
    path = Path(sys.executable).with_name(name)
    return str(path) if path.exists() else name


def with_default_signals(command: Sequence[str]) -> list[str]:
    """`command` with SIGINT and SIGTERM reset to their default actions (a process started in the
    background inherits SIGINT ignored, and Dagster then cannot be stopped)."""
    return ["env", "--default-signal=INT,TERM", *command]


def check_port_free(port: int, option: str = "--port") -> None:
    """StartError when something listens on 127.0.0.1:`port` already (the server would fail to
    bind after everything else started). SO_REUSEADDR as uvicorn sets it, so a port left in
    TIME_WAIT by a previous run counts as free."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise StartError(
                f"port {port} on 127.0.0.1 is in use ({exc.strerror}); stop what uses it or choose another"
                f" with {option}"
            ) from None


@contextlib.contextmanager
def started(
    command: Sequence[str], env: dict[str, str], cwd: str | Path, *, name: str, pass_fds: Sequence[int] = ()
) -> Iterator[subprocess.Popen[bytes]]:
    """`command` running in a process group of its own in `cwd` for as long as the context lasts
    (then stopped with `stop_group`); its output relayed without colour codes when stdout is not a
    terminal."""
    plain = not sys.stdout.isatty()
    process = subprocess.Popen(
        list(command),
        env=env,
        cwd=cwd,
        start_new_session=True,
        pass_fds=tuple(pass_fds),
        stdout=subprocess.PIPE if plain else None,
        stderr=subprocess.STDOUT if plain else None,
    )
    relay = None
    if process.stdout is not None:
        relay = threading.Thread(target=relay_plain, args=(process.stdout,), name=f"{name}-output", daemon=True)
        relay.start()
    try:
        yield process
    finally:
        stop_group(process)
        if relay is not None:
            relay.join(timeout=5)


def relay_plain(stream: IO[bytes]) -> None:
    """Copy a Dagster process's output to ours line by line, without ANSI colour codes (Dagster's
    coloured log format writes them whether or not the output is a terminal)."""
    out = sys.stdout.buffer
    for line in iter(stream.readline, b""):
        with contextlib.suppress(OSError, ValueError):
            out.write(_ANSI_ESCAPE.sub(b"", line))
            out.flush()


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop `process` as Ctrl-C would, then whatever is left of its process group."""
    with signals_ignored():
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=GRACEFUL_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=5)
        # Run workers or code servers that outlived the process are still in its process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
            time.sleep(1.0)
            os.killpg(process.pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
            process.wait()


@contextlib.contextmanager
def signals_raise_stop() -> Iterator[None]:
    """SIGINT and SIGTERM raise `Stop` in the main thread while the context lasts."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Stop(signal.Signals(signum).name)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def signals_ignored() -> Iterator[None]:
    """SIGINT and SIGTERM ignored while the context lasts (shutting down must not be interrupted)."""
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)

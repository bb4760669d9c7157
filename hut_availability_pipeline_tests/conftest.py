"""Shared fixtures: a real PostgreSQL (embedded; also an external one when configured) with a
fresh, migrated database per test, and the simulator over loopback."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import conninfo, sql

from hut_availability_pipeline.storage.database import Database, migrate
from hut_availability_pipeline.storage.embedded import start_embedded_server

EXTERNAL_ENV = "HUT_AVAILABILITY_TEST_EXTERNAL_DATABASE_URL"
TEMPLATE = f"hut_availability_test_template_{os.getpid()}"
FIXTURES = Path(__file__).parent / "fixtures"
_counter = itertools.count()


class DatabaseFactory:
    """Creates fresh databases on one server by cloning a migrated template (fast)."""

    def __init__(self, server: str, prefix: str) -> None:
        self.server = server
        self.prefix = prefix
        self.created: list[str] = []
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(TEMPLATE)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
        migrate(Database(conninfo.make_conninfo(server, dbname=TEMPLATE)))

    def create(self) -> Database:
        name = f"{self.prefix}_{os.getpid()}_{next(_counter)}"
        with psycopg.connect(self.server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(TEMPLATE))
            )
        self.created.append(name)
        return Database(conninfo.make_conninfo(self.server, dbname=name))

    def drop_all(self) -> None:
        with psycopg.connect(self.server, autocommit=True) as conn:
            for name in [*self.created, TEMPLATE]:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def embedded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="session")
def embedded_server(embedded_home: Path) -> str:
    """The embedded PostgreSQL of this test session (stopped when the session ends)."""
    return start_embedded_server(embedded_home, keep_running=False)


@pytest.fixture(scope="session")
def embedded_factory(embedded_server: str) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(embedded_server, "hut_test")
    yield factory


@pytest.fixture(scope="session")
def external_factory() -> Iterator[DatabaseFactory]:
    url = os.environ.get(EXTERNAL_ENV)
    if not url:
        pytest.skip(f"{EXTERNAL_ENV} is not set: no external PostgreSQL configured for the tests")
    factory = DatabaseFactory(url, "hut_test_ext")
    yield factory
    factory.drop_all()


@pytest.fixture
def db(embedded_factory: DatabaseFactory) -> Database:
    """A fresh, migrated database on the embedded server."""
    return embedded_factory.create()


@pytest.fixture(params=["embedded", "external"])
def any_db(request: pytest.FixtureRequest) -> Database:
    """A fresh, migrated database on the embedded server, and again on the external one."""
    factory: DatabaseFactory = request.getfixturevalue(f"{request.param}_factory")
    return factory.create()


def libpq_url(db: Database) -> str:
    """A postgresql:// URL of `db`, as a user would put it in DATABASE_URL."""
    from urllib.parse import quote, urlencode

    params = conninfo.conninfo_to_dict(db.conninfo)
    host = str(params.get("host", ""))
    query = {"host": host} if host.startswith("/") else {}
    netloc_host = "" if host.startswith("/") else host
    port = params.get("port")
    query_port = {"port": str(port)} if port and not netloc_host else {}
    netloc = f"{quote(str(params.get('user', 'postgres')))}@{netloc_host}" + (
        f":{port}" if port and netloc_host else ""
    )
    return f"postgresql://{netloc}/{params['dbname']}?" + urlencode({**query, **query_port})


@pytest.fixture(scope="session")
def simulator():
    """A simulator of hut-reservation.org on 127.0.0.1 shared by the session (do not advance it)."""
    from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer

    with SimulatorServer(SimulatorConfig(seed=7), host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
def own_simulator():
    """A simulator of this test's own, free to advance time and switch faults."""
    from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer

    with SimulatorServer(SimulatorConfig(seed=11), host="127.0.0.1", port=0) as server:
        yield server

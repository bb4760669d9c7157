"""The files for real deployments (Dockerfile, docker-compose.yaml, deploy/helm/values.yaml,
deploy/workspace.yaml), checked as far as a machine without a container engine or a cluster
allows: they parse; the commands they run are the ones the topology test runs
(test_defs_deploy.ROLE_COMMANDS) and our command line accepts them as written; every variable
they set for our processes is a setting; the Helm chart's code server runs the command
`deploy code-server` runs; its queue and pools are those of dagster.yaml."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from hut_availability_pipeline.cli import build_parser
from hut_availability_pipeline.config import Settings
from hut_availability_pipeline.supervisor import deploy

from .test_defs_deploy import ROLE_COMMANDS

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {Settings.variable(name) for name in Settings.model_fields}
# what the image sets for Python and pip, not for our code
IMAGE_ONLY = {"PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK"}


def load(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text())


def accepted(argv: list[str]) -> None:
    """`argv` (starting with hut-availability) parses with our command line as written."""
    assert argv[0] == "hut-availability", argv
    build_parser(argv[1]).parse_args(argv[1:])


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0], line.split(None, 1)[1]) for line in lines]


def test_the_image_runs_the_code_server_role_and_sets_only_settings() -> None:
    instructions = dockerfile()
    (cmd,) = [json.loads(args) for op, args in instructions if op == "CMD"]
    assert cmd[:3] == ROLE_COMMANDS["code-server"] and cmd[3:] == ["--host", "0.0.0.0"]
    accepted(cmd)
    assert not [op for op, _ in instructions if op == "ENTRYPOINT"], "the Helm chart passes its own arguments"
    env = [name for op, args in instructions if op == "ENV" for name, _ in (p.split("=", 1) for p in shlex.split(args))]
    assert {"DAGSTER_HOME", "HUT_AVAILABILITY_HOME"} <= set(env) and set(env) <= SETTINGS | IMAGE_ONLY, env
    copied = [shlex.split(args)[:-1] for op, args in instructions if op == "COPY"]
    for source in (s for sources in copied for s in sources):
        assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which is not in the project"
    assert ["deploy/workspace.yaml"] in copied and any("dagster.yaml" in c for c in copied)


def test_compose_runs_the_three_roles_of_the_topology_test() -> None:
    compose = load("docker-compose.yaml")
    services = compose["services"]
    assert set(services) == {"postgres", *ROLE_COMMANDS}
    for role, prefix in ROLE_COMMANDS.items():
        service = services[role]
        command = service["command"]
        assert command[:3] == prefix, (role, command)
        accepted(command)
        assert set(service["environment"]) <= SETTINGS, (role, service["environment"])
        assert service["image"] == services["code-server"]["image"]  # one image, three roles
    env = services["webserver"]["environment"]
    assert env["HUT_AVAILABILITY_CODE_SERVER_HOST"] == "code-server"
    health = services["code-server"]["healthcheck"]["test"]
    assert (
        health[1:5] == ["dagster", "api", "grpc-health-check", "-h"]
        and health[-1] == env["HUT_AVAILABILITY_CODE_SERVER_PORT"]
    )
    webserver = services["webserver"]["command"]
    assert services["webserver"]["ports"] == [f"127.0.0.1:{webserver[-1]}:{webserver[-1]}"]  # no auth: local only
    assert env["DATABASE_URL"].startswith("postgresql://") and "DAGSTER_POSTGRES_URL" not in env
    for role in ("webserver", "daemon"):
        assert services[role]["depends_on"] == {"code-server": {"condition": "service_healthy"}}


def test_the_workspace_points_at_the_code_server_settings() -> None:
    (entry,) = load("deploy/workspace.yaml")["load_from"]
    server = entry["grpc_server"]
    assert server == {
        "host": {"env": deploy.CODE_SERVER_HOST_ENV},
        "port": {"env": deploy.CODE_SERVER_PORT_ENV},
        "location_name": deploy.LOCATION_NAME,
    }
    assert {deploy.CODE_SERVER_HOST_ENV, deploy.CODE_SERVER_PORT_ENV} <= SETTINGS
    assert deploy.DEPLOY_WORKSPACE_YAML == ROOT / "deploy" / "workspace.yaml"


def test_the_helm_values_run_our_code_server_with_k8s_runs_and_the_queue_of_dagster_yaml() -> None:
    values = load("deploy/helm/values.yaml")
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    # the chart runs `dagster code-server start -h 0.0.0.0 -p PORT <codeServerArgs>`
    ours = deploy.role_command("code-server", Settings())
    start = ours.index("start") + 1
    pairs = dict(zip(ours[start::2], ours[start + 1 :: 2], strict=True))
    del pairs["-h"], pairs["-p"]
    args = deployment["codeServerArgs"]
    assert dict(zip(args[::2], args[1::2], strict=True)) == pairs
    assert Path(ours[start - 3]).name == "dagster" and ours[start - 2 : start] == ["code-server", "start"]
    assert {e["name"] for e in deployment["env"]} <= SETTINGS
    (migrate,) = deployment["initContainers"]
    accepted(migrate["command"])
    assert migrate["image"] == f"{deployment['image']['repository']}:{deployment['image']['tag']}"
    launcher = values["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher"
    assert {v.split("=", 1)[0] for v in launcher["config"]["k8sRunLauncher"]["envVars"]} <= SETTINGS
    assert values["postgresql"]["enabled"] is True

    instance = load("dagster.yaml")
    runs, pools = values["concurrency"]["runs"], values["concurrency"]["pools"]
    assert runs["maxConcurrentRuns"] == instance["concurrency"]["runs"]["max_concurrent_runs"]
    assert runs["tagConcurrencyLimits"] == instance["concurrency"]["runs"]["tag_concurrency_limits"]
    assert (pools["defaultLimit"], pools["granularity"], pools["opGranularityRunBuffer"]) == (
        instance["concurrency"]["pools"]["default_limit"],
        instance["concurrency"]["pools"]["granularity"],
        instance["concurrency"]["pools"]["op_granularity_run_buffer"],
    )
    monitoring = values["dagsterDaemon"]["runMonitoring"]
    assert monitoring["startTimeoutSeconds"] == instance["run_monitoring"]["start_timeout_seconds"]


@pytest.mark.parametrize("name", ["docker-compose.yaml", "deploy/helm/values.yaml", "deploy/workspace.yaml"])
def test_each_file_says_it_is_not_run_here_or_what_reads_it(name: str) -> None:
    head = (ROOT / name).read_text().split("\n\n", 1)[0]
    assert head.startswith("#") and ("NOT" in head or "workspace" in head), head

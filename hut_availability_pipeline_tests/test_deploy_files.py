"""The files for real deployments (Dockerfile, docker-compose.yaml, deploy/helm/values.yaml,
deploy/workspace.yaml), checked as far as a machine without a container engine or a cluster
allows: they parse; the commands they run are the ones the topology test runs
(test_defs_deploy.ROLE_COMMANDS) and our command line accepts them as written; every variable
they set for our processes is a setting; the Helm chart's code server runs the command
`deploy code-server` runs; its queue and pools are those of dagster.yaml; the Helm values pass the Dagster chart's own
values.schema.json (deploy/schemas/, see its README for which version and what it cannot check)."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from jsonschema.exceptions import best_match

from hut_availability_pipeline.cli import build_parser
from hut_availability_pipeline.config import DEFAULT_EVENT_BATCH_SIZE, Settings
from hut_availability_pipeline.supervisor import deploy
from hut_availability_pipeline.supervisor import instance as instance_module

from .e2e.test_defs_deploy import ROLE_COMMANDS

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
    run_env = dict(v.split("=", 1) for v in launcher["config"]["k8sRunLauncher"]["envVars"])
    assert set(run_env) <= SETTINGS
    # the chart starts Dagster's commands, not `deploy`: the run pods and the code server get the
    # event batch size `deploy` would give them
    batch = (instance_module.EVENT_BATCH_SIZE_ENV, str(DEFAULT_EVENT_BATCH_SIZE))
    assert batch in run_env.items() and batch in {(e["name"], e["value"]) for e in deployment["env"]}
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


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    """`docker compose` itself cannot run here; its published JSON schema (compose-spec/compose-spec
    `schema/compose-spec.json`, Apache-2.0, kept in deploy/schemas/ with its licence) checks every key
    and type of the file, which parsing alone does not."""
    import json

    import jsonschema

    schema = json.loads((ROOT / "deploy" / "schemas" / "compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(load("docker-compose.yaml"))
    ]
    assert errors == []
    broken = load("docker-compose.yaml")
    broken["services"]["webserver"]["ports"] = {"8080": "8080"}  # a mapping where the spec wants a list
    assert not validator.is_valid(broken)


# --- the Helm values against the Dagster chart's own values.schema.json (issue #20) ---

SCHEMAS = ROOT / "deploy" / "schemas"
CHART_SCHEMA = SCHEMAS / "dagster-helm-values.schema.json"
# where the stored schema points for Kubernetes' own definitions (EnvVar, Container, ...)
KUBERNETES_DEFINITIONS = "https://kubernetesjsonschema.dev/"
# top-level keys of our values that the chart of 1.13.27 has and the stored (older) schema lacks
NEWER_THAN_STORED_SCHEMA = {"concurrency"}
# `concurrency` as the chart's newer pydantic model declares it (dagster-io/dagster
# helm/dagster/schema/schema/charts/dagster/subschema/concurrency.py at 7dade7692d97, every model
# extra="forbid"); written here from that model, since the stored schema has no `concurrency`
CONCURRENCY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "enabled": {"type": "boolean"},
        "pools": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "defaultLimit": {"type": ["integer", "null"]},
                "granularity": {"type": ["string", "null"]},
                "opGranularityRunBuffer": {"type": ["integer", "null"]},
            },
        },
        "runs": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "maxConcurrentRuns": {"type": ["integer", "null"]},
                "tagConcurrencyLimits": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["key", "limit"],
                        "properties": {
                            "key": {"type": "string"},
                            "value": {"type": ["string", "object", "null"]},
                            "limit": {"type": "integer"},
                        },
                    },
                },
            },
        },
    },
}


def override_schema(node: Any, is_schema: bool = True) -> Any:
    """The chart's schema as it applies to an override file such as deploy/helm/values.yaml.

    Helm validates the MERGED values (the chart's values.yaml with our file on top), and the
    chart's defaults fill every key the schema marks `required`; our file sets only what differs.
    The chart's default values.yaml of the schema's commit is not stored here (the stored ones are
    years older), so instead every `required` is dropped: an override need not repeat the chart's
    defaults. Every other check is kept as the chart wrote it: the names of keys wherever the chart
    forbids others (`additionalProperties: false`), types, enumerations, `anyOf`, constants.

    Each `$ref` to kubernetesjsonschema.dev (Kubernetes' own definitions of EnvVar, Container,
    ResourceRequirements, Affinity, ...) is dropped, leaving what the Dagster schema says beside it
    (`type: object`, `type: array`, string-valued maps): there is no network here, and that site has
    answered 404 since December 2025 (dagster-io/dagster#33134), so nothing is fetched and what is
    inside a Kubernetes object (an init container's fields, an env entry's fields) is not checked.
    """
    if isinstance(node, list):
        return [override_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if not is_schema:  # a map of names to schemas: `properties` or `definitions`
        return {name: override_schema(schema) for name, schema in node.items()}
    relaxed: dict[str, Any] = {}
    for key, value in node.items():
        if key == "required" or (key == "$ref" and value.startswith(KUBERNETES_DEFINITIONS)):
            continue
        relaxed[key] = override_schema(value, is_schema=key not in ("properties", "definitions"))
    return relaxed


def chart_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(CHART_SCHEMA.read_text())
    return schema


def problems(values: dict[str, Any]) -> list[str]:
    """What the chart's schema (as override_schema relaxes it) finds wrong in `values`, as
    "path: message", plus any top-level key the chart does not know: the chart's schema allows
    unknown top-level keys, so a misspelt `dagsterDeamon` would otherwise be silently ignored."""
    schema = override_schema(chart_schema())
    validator = jsonschema.Draft7Validator(schema)
    # an error inside an anyOf ("none of the forms fits") is reported by the form that fits best
    errors = [best_match([error]) for error in validator.iter_errors(values)]
    found = [f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}" for error in errors]
    known = set(schema["properties"]) | NEWER_THAN_STORED_SCHEMA
    found += [f"{key}: not a key of the Dagster chart" for key in values if key not in known]
    if "concurrency" in values:
        concurrency = jsonschema.Draft7Validator(CONCURRENCY_SCHEMA)
        found += [
            f"concurrency/{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in concurrency.iter_errors(values["concurrency"])
        ]
    return found


def test_the_stored_chart_schema_is_the_one_its_readme_names() -> None:
    data = CHART_SCHEMA.read_bytes()
    readme = (SCHEMAS / "README.md").read_text()
    assert f"sha256 `{hashlib.sha256(data).hexdigest()}`" in readme, "schema changed: update deploy/schemas/README.md"
    assert f"{len(data):,} bytes" in readme
    schema = chart_schema()
    assert schema["title"] == "DagsterHelmValues"
    assert (SCHEMAS / "LICENSE-dagster").read_text().lstrip().startswith("Apache License")
    # the keys we allow beyond the stored schema are really absent from it (else it would check them)
    assert not NEWER_THAN_STORED_SCHEMA & set(schema["properties"])


def test_the_relaxed_schema_fetches_nothing_and_keeps_the_chart_checks() -> None:
    schema = chart_schema()
    text = json.dumps(override_schema(schema))
    assert KUBERNETES_DEFINITIONS in json.dumps(schema) and KUBERNETES_DEFINITIONS not in text
    assert '"$ref": "http' not in text and '"required"' not in text
    # what is kept: every local reference and every closed object of the chart
    assert text.count('"additionalProperties": false') == json.dumps(schema).count('"additionalProperties": false')
    assert text.count('"$ref": "#/definitions/') == json.dumps(schema).count('"$ref": "#/definitions/')


def test_the_helm_values_pass_the_dagster_charts_schema() -> None:
    assert problems(load("deploy/helm/values.yaml")) == []


def _set(values: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split("/")
    node: Any = values
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value


@pytest.mark.parametrize(
    ("path", "value", "reported"),
    [
        # a wrong type: the port as a string
        ("dagster-user-deployments/deployments/0/port", "3030", "dagster-user-deployments/deployments/0/port: '3030'"),
        # a misspelt key where the chart forbids others
        ("runLauncher/config/k8sRunLauncher/envVar", ["A=1"], "runLauncher/config/k8sRunLauncher: Additional"),
        ("dagsterDaemon/runMonitor", {"enabled": True}, "dagsterDaemon: Additional"),
        # a value outside an enumeration
        ("pythonLogs/pythonLogLevel", "VERBOSE", "pythonLogs/pythonLogLevel: 'VERBOSE' is not one of"),
        ("runLauncher/type", "K8sLauncher", "runLauncher/type: 'K8sLauncher' is not one of"),
        # none of the forms an anyOf allows
        (
            "dagsterDaemon/runCoordinator/config/queuedRunCoordinator/dequeueIntervalSeconds",
            "1s",
            "dagsterDaemon/runCoordinator/config/queuedRunCoordinator/dequeueIntervalSeconds: '1s'",
        ),
        ("retention/sensor/purgeAfterDays/skiped", 2, "retention/sensor/purgeAfterDays: "),
        # a misspelt top-level key, which the chart itself would ignore
        ("dagsterDeamon", {"enabled": True}, "dagsterDeamon: not a key of the Dagster chart"),
        # the concurrency block, checked against the chart's newer model
        ("concurrency/pools/defaultLimits", 1, "concurrency/pools: Additional"),
        ("concurrency/runs/maxConcurrentRuns", "6", "concurrency/runs/maxConcurrentRuns: '6'"),
    ],
)
def test_a_wrong_value_in_a_copy_of_the_helm_values_is_reported(path: str, value: Any, reported: str) -> None:
    values = copy.deepcopy(load("deploy/helm/values.yaml"))
    _set(values, path, value)
    found = problems(values)
    assert any(problem.startswith(reported) for problem in found), found

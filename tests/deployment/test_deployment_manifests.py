"""The deployment manifests stay in step with the code.

Services are discovered from the file system (every `services/<name>/` with a pyproject.toml):
adding a service folder makes these tests fail until docker-compose.yml and deploy/k8s/base know it,
and removing one makes them fail while a manifest still names it. Every image (the five services
and the gateway) is the one `deploy/docker/Dockerfile` built with its name as `SERVICE`.
"""

from __future__ import annotations

import functools
import importlib
import ipaddress
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import pytest
import yaml

from gateway.settings import is_issuer_url

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S_DIR = ROOT / "deploy" / "k8s" / "base"
"""The base every overlay builds on (the overlays are checked in test_k8s_overlays.py)."""
POSTGRES_INIT = ROOT / "deploy" / "docker" / "postgres-init.sh"
DOCKERFILE = "deploy/docker/Dockerfile"
"""The one image recipe, relative to the build context (the repository root)."""

API_ARGS = ["api", "--host", "0.0.0.0", "--port", "8000"]
GATEWAY_ARGS = ["--host", "0.0.0.0", "--port", "8000"]
INFRA = {"postgres", "kafka", "gateway", "gateway-migrate"}


def discover_services() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml"))


SERVICES = discover_services()
DATABASE_OWNERS = sorted([*SERVICES, "gateway"])
"""Everything with its own PostgreSQL database: the services and the gateway (identities)."""


def env_prefix(name: str) -> str:
    return f"{name.upper()}_"


PII_SETTINGS = ("PII_KEYS", "PII_ACTIVE_KEY", "PII_INDEX_KEY")
PERSON_REF_SERVICES = frozenset({"eligibility", "verification", "payment", "monitoring"})
"""Services that name people in their events (person references under the one city-wide key)."""
JWKS_URL = "http://gateway:8000/.well-known/jwks.json"


@functools.cache
def keeps_personal_data(svc: str) -> bool:
    """Whether the service's definition has encrypted columns (then it needs PII keys)."""
    module = importlib.import_module(f"{svc}.main")
    return bool(module.DEFINITION.keeps_pii)


# --- helpers ------------------------------------------------------------------------------------

_INTERPOLATION = re.compile(r"\$\{(?P<var>\w+)(?:(?P<op>:?[-?])(?P<default>[^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose's `${VAR:-default}` with nothing set in the environment: the default (or '')."""
    return _INTERPOLATION.sub(lambda m: m["default"] or "", value).replace("$$", "$")


def as_env_dict(environment: Any) -> dict[str, str]:
    """Compose `environment` in either form (mapping or list of KEY=VALUE) as a dict of strings."""
    if environment is None:
        return {}
    if isinstance(environment, dict):
        return {str(k): "" if v is None else str(v) for k, v in environment.items()}
    return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)


def as_args(command: Any) -> list[str]:
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def build_args(build: dict[str, Any]) -> dict[str, str]:
    """Compose `build.args` in either form (mapping or list of KEY=VALUE) as a dict of strings."""
    return as_env_dict(build.get("args"))


def image_name(image: str) -> str:
    """`registry/jiuzhu/payment:1.2` -> `registry/jiuzhu/payment` (a port in the host stays)."""
    last = image.rsplit("/", 1)[-1]
    return image.rsplit(":", 1)[0] if ":" in last else image


def parse_database_url(url: str) -> SplitResult:
    parts = urlsplit(url)
    assert parts.scheme == "postgresql+asyncpg", url
    return parts


def member_project_name(folder: Path) -> str:
    with (folder / "pyproject.toml").open("rb") as fh:
        return str(tomllib.load(fh)["project"]["name"])


@functools.cache
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    assert isinstance(data.get("services"), dict), "docker-compose.yml has no services"
    return data


def compose_service(name: str) -> dict[str, Any]:
    services = compose()["services"]
    assert name in services, f"docker-compose.yml has no service {name!r}"
    return dict(services[name])


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


@functools.cache
def kustomization() -> dict[str, Any]:
    data = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@functools.cache
def k8s_objects() -> dict[tuple[str, str], dict[str, Any]]:
    objects: dict[tuple[str, str], dict[str, Any]] = {}
    for resource in kustomization()["resources"]:
        path = K8S_DIR / resource
        assert path.is_file(), f"kustomization.yaml lists {resource}, which does not exist"
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not doc:
                continue
            key = (doc["kind"], doc["metadata"]["name"])
            assert key not in objects, f"{key} is defined twice"
            objects[key] = doc
    return objects


def k8s(kind: str, name: str) -> dict[str, Any]:
    objects = k8s_objects()
    assert (kind, name) in objects, f"deploy/k8s has no {kind} {name!r}"
    return objects[(kind, name)]


def k8s_names(kind: str) -> set[str]:
    return {name for (k, name) in k8s_objects() if k == kind}


def pod_spec(deployment: dict[str, Any]) -> dict[str, Any]:
    return dict(deployment["spec"]["template"]["spec"])


def env_from_names(container: dict[str, Any]) -> set[tuple[str, str]]:
    refs: set[tuple[str, str]] = set()
    for source in container.get("envFrom", []):
        for kind in ("configMapRef", "secretRef"):
            if kind in source:
                refs.add((kind, source[kind]["name"]))
    return refs


def selects(match_labels: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in match_labels.items())


def find_compose_cli() -> list[str] | None:
    """`docker compose` (v2 plugin) or a standalone v2 `docker-compose`; neither needs a daemon
    for `config`. The Python v1 `docker-compose` does not know the current spec: not used."""
    candidates = [["docker", "compose"], ["docker-compose"]]
    for cli in candidates:
        if shutil.which(cli[0]) is None:
            continue
        try:
            out = subprocess.run([*cli, "version", "--short"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip().lstrip("v").startswith(("2.", "3.")):
            return cli
    return None


# --- the code side ------------------------------------------------------------------------------


def test_services_are_discovered() -> None:
    assert SERVICES, "no services/<name>/pyproject.toml found"
    for svc in SERVICES:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", svc), f"service folder name {svc!r}"
        assert member_project_name(ROOT / "services" / svc) == f"jiuzhu-{svc}"
        assert (ROOT / "services" / svc / "src" / svc).is_dir(), f"no package src/{svc}"


# --- docker compose -----------------------------------------------------------------------------


def test_compose_config_is_valid() -> None:
    cli = find_compose_cli()
    if cli is None:
        pytest.skip("no docker compose v2 CLI here; the structural tests below still run")
    result = subprocess.run(
        [*cli, "-f", str(COMPOSE_FILE), "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_compose_services_match_the_code() -> None:
    expected = set(INFRA)
    for svc in SERVICES:
        expected |= {f"{svc}-migrate", svc, f"{svc}-worker"}
    actual = set(compose()["services"])
    assert not expected - actual, f"missing in docker-compose.yml: {sorted(expected - actual)}"
    assert not actual - expected, f"docker-compose.yml services without code: {sorted(actual - expected)}"


def test_only_the_gateway_publishes_a_port() -> None:
    published = {name for name, spec in compose()["services"].items() if spec.get("ports")}
    assert published == {"gateway"}
    assert [str(p) for p in compose_service("gateway")["ports"]] == ["8000:8000"]


@pytest.mark.parametrize("svc", SERVICES)
def test_compose_service_processes(svc: str) -> None:
    roles = {
        f"{svc}-migrate": ["migrate"],
        svc: API_ARGS,
        f"{svc}-worker": ["worker"],
    }
    envs = []
    for name, args in roles.items():
        spec = compose_service(name)
        assert spec["build"]["context"] == "."
        assert spec["build"]["dockerfile"] == DOCKERFILE
        assert build_args(spec["build"]) == {"SERVICE": svc}, name
        assert image_name(spec["image"]) == f"jiuzhu/{svc}"
        assert "entrypoint" not in spec, f"{name}: the image's ENTRYPOINT python -m {svc} is used"
        assert as_args(spec["command"]) == args, name
        envs.append(as_env_dict(spec.get("environment")))
    assert envs[0] == envs[1] == envs[2], f"{svc}: migrate, api and worker differ in environment"

    migrate = compose_service(f"{svc}-migrate")
    assert str(migrate.get("restart")) == "no"
    assert depends_on(migrate).get("postgres") == "service_healthy"
    for name in (svc, f"{svc}-worker"):
        deps = depends_on(compose_service(name))
        assert deps.get(f"{svc}-migrate") == "service_completed_successfully", name
        assert deps.get("kafka") == "service_healthy", name

    healthcheck = " ".join(as_args(compose_service(svc)["healthcheck"]["test"]))
    assert "/readyz" in healthcheck


@pytest.mark.parametrize("svc", SERVICES)
def test_compose_service_environment(svc: str) -> None:
    prefix = env_prefix(svc)
    env = as_env_dict(compose_service(svc).get("environment"))
    assert env, f"{svc} has no environment"
    foreign = [key for key in env if not key.startswith(prefix)]
    assert not foreign, f"{svc}: variables without the prefix {prefix}: {foreign}"
    assert env[f"{prefix}ENV"] == "dev", "docker compose is a development stack (its keys are public)"
    assert env[f"{prefix}BUS"] == "kafka"
    assert env[f"{prefix}KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env[f"{prefix}LOG_LEVEL"] == "INFO"
    assert env[f"{prefix}AUTH_JWKS_URL"] == JWKS_URL, "services verify tokens with the gateway's keys"
    pii = {f"{prefix}{name}" for name in PII_SETTINGS}
    if keeps_personal_data(svc):
        assert pii <= set(env), f"{svc} keeps personal data: it needs {sorted(pii)}"
        assert json.loads(env[f"{prefix}PII_KEYS"]), "PII_KEYS is a JSON object of keys by id"
    else:
        assert not pii & set(env), f"{svc} keeps no personal data: no keys for it"

    url = parse_database_url(interpolate(env[f"{prefix}DATABASE_URL"]))
    assert url.username == svc
    assert url.password, f"{svc}: the DATABASE_URL has no password"
    assert (url.hostname, url.port) == ("postgres", 5432)
    assert url.path == f"/jiuzhu_{svc}"


def test_compose_databases_are_not_shared() -> None:
    seen: dict[tuple[str | None, str], str] = {}
    for svc in SERVICES:
        env = as_env_dict(compose_service(svc).get("environment"))
        url = parse_database_url(interpolate(env[f"{env_prefix(svc)}DATABASE_URL"]))
        for key in ((url.username, "role"), (url.path, "database")):
            assert key not in seen, f"{svc} shares {key} with {seen[key]}"
            seen[key] = svc


def test_compose_postgres_creates_every_database() -> None:
    postgres = compose_service("postgres")
    assert str(postgres["image"]).startswith("postgres:15")
    env = as_env_dict(postgres.get("environment"))
    assert sorted(env["JIUZHU_SERVICES"].split()) == DATABASE_OWNERS
    for svc in DATABASE_OWNERS:
        service_env = as_env_dict(compose_service(svc).get("environment"))
        url = parse_database_url(interpolate(service_env[f"{env_prefix(svc)}DATABASE_URL"]))
        password = interpolate(env[f"{env_prefix(svc)}DB_PASSWORD"])
        assert password, f"postgres has no password for {svc}"
        assert url.password == password, f"{svc}: DATABASE_URL and postgres disagree on it"

    mounts = [str(v) for v in postgres.get("volumes", [])]
    init = [m for m in mounts if ":/docker-entrypoint-initdb.d/" in m]
    assert init, "postgres does not mount an init script"
    source = init[0].split(":", 1)[0]
    assert (ROOT / source).resolve() == POSTGRES_INIT.resolve()
    assert POSTGRES_INIT.is_file()
    script = POSTGRES_INIT.read_text(encoding="utf-8")
    assert "JIUZHU_SERVICES" in script
    assert "_DB_PASSWORD" in script
    assert "jiuzhu_" in script
    assert "healthcheck" in postgres


def test_compose_kafka() -> None:
    kafka = compose_service("kafka")
    assert kafka["image"] == "apache/kafka:4.1.1"
    env = as_env_dict(kafka.get("environment"))
    expected = {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
        "KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://kafka:9092",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "true",
        "KAFKA_NUM_PARTITIONS": "3",
    }
    assert {key: env.get(key) for key in expected} == expected
    assert "healthcheck" in kafka


def test_compose_gateway() -> None:
    gateway = compose_service("gateway")
    for name in ("gateway", "gateway-migrate"):
        build = compose_service(name)["build"]
        assert (build["context"], build["dockerfile"]) == (".", DOCKERFILE), name
        assert build_args(build) == {"SERVICE": "gateway"}, name
    assert image_name(gateway["image"]) == "jiuzhu/gateway"
    assert as_args(gateway["command"]) == GATEWAY_ARGS
    env = as_env_dict(gateway.get("environment"))
    assert env["GATEWAY_ENV"] == "dev", "docker compose is a development stack (its keys are public)"
    assert int(env["GATEWAY_MAX_BODY_BYTES"]) > 0
    upstreams = json.loads(env["GATEWAY_UPSTREAMS"])
    assert upstreams == {svc: f"http://{svc}:8000" for svc in SERVICES}
    assert set(depends_on(gateway)) == {*SERVICES, "gateway-migrate"}
    url = parse_database_url(interpolate(env["GATEWAY_DATABASE_URL"]))
    assert (url.username, url.path) == ("gateway", "/jiuzhu_gateway")
    assert {f"GATEWAY_{name}" for name in PII_SETTINGS} <= set(env), "the issuer encrypts its keys and citizens' data"
    migrate = compose_service("gateway-migrate")
    assert as_args(migrate["command"]) == ["migrate"]
    assert image_name(migrate["image"]) == "jiuzhu/gateway"
    assert as_env_dict(migrate.get("environment")) == env


def test_every_compose_dockerfile_exists() -> None:
    for name, spec in compose()["services"].items():
        build = spec.get("build")
        if build is None:
            continue
        dockerfile = ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"


# --- Dockerfiles --------------------------------------------------------------------------------

DOCKER_IMAGES = [(svc, f"services/{svc}") for svc in SERVICES] + [("gateway", "gateway")]
"""(package, workspace folder) of every image: the name given as `SERVICE` is both."""


@functools.cache
def dockerfile_text() -> str:
    path = ROOT / DOCKERFILE
    assert path.is_file(), f"{DOCKERFILE} is missing"
    return path.read_text(encoding="utf-8")


def dockerfile_json_instruction(text: str, instruction: str) -> list[str]:
    lines = [line for line in text.splitlines() if line.startswith(f"{instruction} ")]
    assert len(lines) == 1, f"expected one {instruction}"
    value = json.loads(lines[0][len(instruction) + 1 :])
    assert isinstance(value, list)
    return [str(v) for v in value]


def build_stages(text: str) -> list[str]:
    """The Dockerfile's stages, each from its FROM line to the next."""
    return ["FROM" + stage for stage in re.split(r"^FROM", text, flags=re.MULTILINE)[1:]]


def rendered(text: str, service: str) -> str:
    """The Dockerfile as the build sees it with `--build-arg SERVICE=<service>`."""
    return text.replace("${SERVICE}", service).replace("$SERVICE", service)


def test_one_dockerfile_builds_every_image() -> None:
    recipes = sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("**/Dockerfile") if ".venv" not in p.parts)
    assert recipes == [DOCKERFILE], "one image recipe for all: build it with --build-arg SERVICE=<name>"
    built = {
        build_args(spec["build"])["SERVICE"]
        for spec in compose()["services"].values()
        if spec.get("build") and spec["build"].get("dockerfile") == DOCKERFILE
    }
    assert built == {package for package, _ in DOCKER_IMAGES}


def test_dockerfile_takes_service_in_every_stage_that_uses_it() -> None:
    """A build argument is scoped to its stage: each stage that uses SERVICE declares it, and
    the build refuses to start without it."""
    text = dockerfile_text()
    stages = build_stages(text)
    assert len(stages) == 2, "a build stage and a runtime stage"
    for stage in stages:
        if "SERVICE}" in stage or "$SERVICE" in stage:
            assert re.search(r"^ARG SERVICE$", stage, re.MULTILINE), stage.splitlines()[0]
    assert re.search(r'test -n "\$SERVICE" \|\|', stages[0]), "an empty SERVICE must fail the build"


@pytest.mark.parametrize(("package", "folder"), DOCKER_IMAGES)
def test_dockerfile_builds_and_runs_the_package_named_by_service(package: str, folder: str) -> None:
    text = rendered(dockerfile_text(), package)
    project = member_project_name(ROOT / folder)
    assert project == f"jiuzhu-{package}"
    assert (ROOT / folder / "src" / package / "__main__.py").is_file(), f"`python -m {package}` needs a __main__"

    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    syncs = re.findall(r"uv sync\b[^\n]*", text)
    assert syncs, "no uv sync"
    for sync in syncs:
        assert "--frozen" in sync
        assert "--no-dev" in sync
        assert re.search(rf'--package "?{project}"?(\s|$)', sync), sync
    other_packages = {p.strip('"') for p in re.findall(r"--package\s+(\S+)", text)} - {project}
    assert not other_packages, f"{DOCKERFILE} installs {other_packages}"

    runtime = build_stages(text)[-1]
    assert re.search(rf"^\s*JIUZHU_SERVICE={package}$", runtime, re.MULTILINE), "the runtime knows what to run"
    entrypoint = dockerfile_json_instruction(text, "ENTRYPOINT")
    assert entrypoint == ["/bin/sh", "-c", 'exec python -m "$JIUZHU_SERVICE" "$@"', "python"]
    assert dockerfile_json_instruction(text, "CMD") == API_ARGS

    # The entry point as the container runs it (python from the workspace's venv): the default
    # command's verb is one the package's command line knows.
    venv_bin = Path(sys.executable).parent
    result = subprocess.run(
        [*entrypoint, API_ARGS[0], "--help"],
        env={"JIUZHU_SERVICE": package, "PATH": f"{venv_bin}:/usr/bin:/bin", "NO_COLOR": "1", "TERM": "dumb"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"python -m {package} {API_ARGS[0]}" in result.stdout

    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users, "no USER: the image would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dockerignore_keeps_local_state_out() -> None:
    entries = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "var", ".env"} <= entries


# --- Kubernetes ---------------------------------------------------------------------------------


def test_kustomization_lists_exactly_the_manifests() -> None:
    resources = kustomization()["resources"]
    assert len(resources) == len(set(resources)), "a resource is listed twice"
    on_disk = {
        path.relative_to(K8S_DIR).as_posix()
        for pattern in ("*.yaml", "*.yml")
        for path in K8S_DIR.rglob(pattern)
        if path.name not in {"kustomization.yaml", "kustomization.yml"}
    }
    assert set(resources) == on_disk
    assert kustomization()["namespace"] == "jiuzhu"
    images = {entry["name"] for entry in kustomization().get("images", [])}
    assert images == {f"jiuzhu/{name}" for name, _ in DOCKER_IMAGES}


def test_k8s_objects_match_the_code() -> None:
    expected_deployments = {"gateway"}
    for svc in SERVICES:
        expected_deployments |= {f"{svc}-api", f"{svc}-worker"}
    assert k8s_names("Deployment") == expected_deployments
    assert k8s_names("Service") == {*SERVICES, "gateway"}
    assert k8s_names("Secret") == set(), "the base holds no Secret: an overlay provides them (never a placeholder)"
    assert k8s_names("ConfigMap") == {f"{svc}-config" for svc in SERVICES} | {"gateway-config"}
    assert k8s_names("HorizontalPodAutoscaler") == expected_deployments
    assert k8s_names("PodDisruptionBudget") == expected_deployments
    for name in expected_deployments:
        deployment = k8s("Deployment", name)
        hpa = k8s("HorizontalPodAutoscaler", name)["spec"]
        assert "replicas" not in deployment["spec"], f"{name}: the HPA owns the replica count"
        assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert 2 <= hpa["minReplicas"] < hpa["maxReplicas"]
        assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]
        pdb = k8s("PodDisruptionBudget", name)["spec"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selects(pdb["selector"]["matchLabels"], labels)
        assert pdb["maxUnavailable"] == 1
        spread = pod_spec(deployment)["topologySpreadConstraints"]
        assert {c["topologyKey"] for c in spread} == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
        assert all(selects(c["labelSelector"]["matchLabels"], labels) for c in spread)


def check_container_hardening(spec: dict[str, Any], container: dict[str, Any]) -> None:
    pod_ctx = spec.get("securityContext", {})
    ctx = container.get("securityContext", {})
    assert ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot")) is True, container["name"]
    assert ctx.get("readOnlyRootFilesystem") is True, container["name"]
    assert ctx.get("allowPrivilegeEscalation") is False, container["name"]
    resources = container.get("resources", {})
    assert resources.get("requests"), f"{container['name']}: no resource requests"
    assert resources.get("limits"), f"{container['name']}: no resource limits"


def probe_path(container: dict[str, Any], probe: str) -> str:
    return str(container[probe]["httpGet"]["path"])


def check_probe_timeouts(container: dict[str, Any]) -> None:
    """A probe waits longer than the checks inside it: `/readyz` bounds each of its two checks by
    READINESS_CHECK_SECONDS, so its answer arrives before the kubelet gives up."""
    from jiuzhu_platform.app import READINESS_CHECK_SECONDS

    assert container["readinessProbe"]["timeoutSeconds"] > 2 * READINESS_CHECK_SECONDS, container["name"]
    assert container["livenessProbe"]["timeoutSeconds"] >= 3, container["name"]


@pytest.mark.parametrize("svc", SERVICES)
def test_k8s_service_api(svc: str) -> None:
    deployment = k8s("Deployment", f"{svc}-api")
    spec = pod_spec(deployment)
    refs = {("configMapRef", f"{svc}-config"), ("secretRef", f"{svc}-secrets")}

    (api,) = spec["containers"]
    assert image_name(api["image"]) == f"jiuzhu/{svc}"
    assert "command" not in api, "the image's ENTRYPOINT python -m <svc> is used"
    assert as_args(api["args"]) == API_ARGS
    assert probe_path(api, "readinessProbe") == "/readyz"
    assert probe_path(api, "livenessProbe") == "/healthz"
    check_probe_timeouts(api)
    assert env_from_names(api) == refs
    check_container_hardening(spec, api)

    migrations = [c for c in spec.get("initContainers", []) if as_args(c.get("args", [])) == ["migrate"]]
    assert len(migrations) == 1, f"{svc}-api has no `migrate` init container"
    assert migrations[0]["image"] == api["image"]
    assert env_from_names(migrations[0]) == refs
    check_container_hardening(spec, migrations[0])

    service = k8s("Service", svc)
    assert [p["port"] for p in service["spec"]["ports"]] == [8000]
    assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
    assert selects(service["spec"]["selector"], deployment["spec"]["template"]["metadata"]["labels"])


@pytest.mark.parametrize("svc", SERVICES)
def test_k8s_service_worker(svc: str) -> None:
    deployment = k8s("Deployment", f"{svc}-worker")
    spec = pod_spec(deployment)
    (worker,) = spec["containers"]
    assert image_name(worker["image"]) == f"jiuzhu/{svc}"
    assert as_args(worker["args"]) == ["worker"]
    # liveness from the heartbeat the relay and consumers keep fresh (jiuzhu_platform.heartbeat)
    probe = worker["livenessProbe"]["exec"]["command"]
    assert probe[:3] == ["python", "-m", "jiuzhu_platform.heartbeat"]
    heartbeat_file = k8s("ConfigMap", f"{svc}-config")["data"][f"{env_prefix(svc)}WORKER_HEARTBEAT_FILE"]
    assert probe[3] == heartbeat_file
    assert heartbeat_file.startswith("/tmp/"), "the only writable path is /tmp"
    max_age = float(probe[probe.index("--max-age") + 1])
    assert max_age > 2 * 5, "several heartbeat intervals (5 s) fit in the allowed age"
    assert worker["livenessProbe"]["timeoutSeconds"] >= 5, "a Python start-up fits in the probe's timeout"
    assert "readinessProbe" not in worker
    assert env_from_names(worker) == {
        ("configMapRef", f"{svc}-config"),
        ("secretRef", f"{svc}-secrets"),
    }
    check_container_hardening(spec, worker)
    api_labels = k8s("Deployment", f"{svc}-api")["spec"]["template"]["metadata"]["labels"]
    service_selector = k8s("Service", svc)["spec"]["selector"]
    worker_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selects(service_selector, api_labels)
    assert not selects(service_selector, worker_labels), "the Service must not route to workers"


@pytest.mark.parametrize("svc", SERVICES)
def test_k8s_service_settings(svc: str) -> None:
    prefix = env_prefix(svc)
    config = k8s("ConfigMap", f"{svc}-config")["data"]
    assert all(key.startswith(prefix) for key in config), config
    assert config[f"{prefix}ENV"] == "prod"
    assert config[f"{prefix}BUS"] == "kafka"
    assert config[f"{prefix}KAFKA_BOOTSTRAP_SERVERS"]
    assert config[f"{prefix}LOG_LEVEL"]
    assert f"{prefix}DATABASE_URL" not in config, "the database URL is a secret"
    assert config[f"{prefix}AUTH_JWKS_URL"] == JWKS_URL
    issuer = k8s("ConfigMap", "gateway-config")["data"]["GATEWAY_ISSUER"]
    assert config[f"{prefix}AUTH_ISSUER"] == issuer, "services expect the gateway's issuer in tokens"
    assert is_issuer_url(issuer)

    assert not {key for key in config if key.endswith(("_PASSWORD", "_KEY", "_KEYS", "_TOKEN"))}, (
        "secrets are not config"
    )


def test_k8s_gateway() -> None:
    deployment = k8s("Deployment", "gateway")
    spec = pod_spec(deployment)
    (gateway,) = spec["containers"]
    assert image_name(gateway["image"]) == "jiuzhu/gateway"
    assert as_args(gateway["args"]) == GATEWAY_ARGS
    assert probe_path(gateway, "readinessProbe") == "/readyz"
    assert probe_path(gateway, "livenessProbe") == "/healthz"
    check_container_hardening(spec, gateway)
    refs = {("configMapRef", "gateway-config"), ("secretRef", "gateway-secrets")}
    assert env_from_names(gateway) == refs
    migrations = [c for c in spec.get("initContainers", []) if as_args(c.get("args", [])) == ["migrate"]]
    assert len(migrations) == 1, "the gateway has no `migrate` init container"
    assert env_from_names(migrations[0]) == refs
    check_container_hardening(spec, migrations[0])
    check_probe_timeouts(gateway)

    config = k8s("ConfigMap", "gateway-config")["data"]
    assert json.loads(config["GATEWAY_UPSTREAMS"]) == {svc: f"http://{svc}:8000" for svc in SERVICES}
    assert int(config["GATEWAY_MAX_BODY_BYTES"]) > 0
    proxies = [ipaddress.ip_network(p.strip()) for p in config["GATEWAY_TRUSTED_PROXIES"].split(",")]
    assert all(network.prefixlen >= 24 for network in proxies), "trusted proxies: the ingress controller only"

    service = k8s("Service", "gateway")
    assert selects(service["spec"]["selector"], deployment["spec"]["template"]["metadata"]["labels"])
    assert k8s_names("Ingress") == set(), "the Ingress is an overlay's (components/ingress)"


def test_k8s_only_the_gateway_reaches_service_apis() -> None:
    gateway_labels = k8s("Deployment", "gateway")["spec"]["template"]["metadata"]["labels"]
    policies = [obj for (kind, _), obj in k8s_objects().items() if kind == "NetworkPolicy"]
    for svc in SERVICES:
        api_labels = k8s("Deployment", f"{svc}-api")["spec"]["template"]["metadata"]["labels"]
        applying = [p for p in policies if selects(p["spec"]["podSelector"].get("matchLabels", {}), api_labels)]
        assert applying, f"no NetworkPolicy selects the {svc} API pods"
        for policy in applying:
            assert "Ingress" in policy["spec"]["policyTypes"]
            for rule in policy["spec"].get("ingress", []):
                peers = rule.get("from")
                assert peers, f"{policy['metadata']['name']}: a rule open to everyone"
                for peer in peers:
                    assert set(peer) == {"podSelector"}, f"{policy['metadata']['name']}: {peer}"
                    assert selects(peer["podSelector"]["matchLabels"], gateway_labels)

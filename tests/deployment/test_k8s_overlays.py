"""The Kubernetes overlays (deploy/k8s/overlays/*) build, validate against the schemas of the
Kubernetes API and of the operators they use, and keep their promises: no placeholder or dev
value in production, every owner's database and every topic provisioned, the dev stacks' public
keys refused outside `ENV=dev`.

Rendering and validation use the real tools (see k8s_tools.py), installed on first use.
"""

from __future__ import annotations

import base64
import importlib
import json
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest

from shared.topics import ALL_EVENT_TOPICS, dlq_topic
from tests.deployment.k8s_tools import (
    KUBERNETES_VERSION,
    OPERATOR_GROUPS,
    api_group,
    render,
    validate_custom_resources,
)
from tests.deployment.test_deployment_manifests import (
    DATABASE_OWNERS,
    PERSON_REF_SERVICES,
    PII_SETTINGS,
    SERVICES,
    as_env_dict,
    compose_service,
    env_prefix,
    interpolate,
    keeps_personal_data,
)

OVERLAYS = ("dev", "prod", "prod-external")
PUBLIC_SECRET = r"dev-only|placeholder"
PRODUCTION = ("prod", "prod-external")
WITH_OPERATORS = ("dev", "prod")


def objects_of(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj for obj in render(overlay) if obj["kind"] == kind}


def secret_keys(owner: str, *, production: bool) -> set[str]:
    """What `<owner>-secrets` holds: the database URL, the PII key ring where the owner keeps
    personal data, the person reference key where it names people, and in production the
    `/metrics` token (without it `/metrics` answers 404 in prod)."""
    prefix = env_prefix(owner)
    keys = {f"{prefix}DATABASE_URL"}
    if owner == "gateway" or keeps_personal_data(owner):
        keys |= {f"{prefix}{name}" for name in PII_SETTINGS}
    if owner in PERSON_REF_SERVICES:
        keys.add(f"{prefix}PERSON_REF_KEY")
    if production:
        keys.add(f"{prefix}METRICS_TOKEN")
    return keys


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_overlay_builds_and_every_object_is_valid(overlay: str) -> None:
    objects = list(render(overlay))
    names = Counter((obj["kind"], obj["metadata"]["name"]) for obj in objects)
    assert not [key for key, count in names.items() if count > 1], "an object is defined twice"
    core = [obj for obj in objects if api_group(obj) not in OPERATOR_GROUPS]
    for obj in core:
        assert obj["metadata"].get("namespace", "jiuzhu") == "jiuzhu" or obj["kind"] == "Namespace"
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']}: {exc.message} at {list(exc.path)}")
    custom = [obj for obj in objects if api_group(obj) in OPERATOR_GROUPS]
    code, report = validate_custom_resources(custom)
    assert code == 0, report
    assert json.loads(report.strip().splitlines()[-1]) == {"checked": len(custom), "failures": 0}


def test_the_validators_catch_mistakes() -> None:
    """The validation above can fail: a misspelt field of a core object and a wrong type or value
    in each operator's resource are reported."""
    deployment = dict(objects_of("prod", "Deployment")["payment-api"])
    bad_deployment = json.loads(json.dumps(deployment))
    bad_deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad_deployment, KUBERNETES_VERSION, strict=True)

    cluster = json.loads(json.dumps(objects_of("prod", "Cluster")["jiuzhu-pg"]))
    cluster["spec"]["instances"] = "three"
    user = json.loads(json.dumps(objects_of("prod", "KafkaUser")["payment"]))
    user["spec"]["authentication"]["type"] = "scram-sha-1"
    external = json.loads(json.dumps(objects_of("prod", "ExternalSecret")["payment-secrets"]))
    external["spec"]["secretStoreRef"]["kind"] = "Vault"
    code, report = validate_custom_resources([cluster, user, external])
    assert code == 1
    assert json.loads(report.strip().splitlines()[-1]) == {"checked": 0, "failures": 3}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_finds_its_secrets(overlay: str) -> None:
    """Every Secret a pod reads is made by the overlay: a Secret (dev), an ExternalSecret's target
    (prod), or one of the operators' own (Strimzi's user passwords and cluster CA)."""
    objects = render(overlay)
    provided = {obj["metadata"]["name"] for obj in objects if obj["kind"] == "Secret"}
    provided |= {obj["spec"]["target"]["name"] for obj in objects if obj["kind"] == "ExternalSecret"}
    if overlay in WITH_OPERATORS:
        provided |= set(objects_of(overlay, "KafkaUser")) | {"jiuzhu-kafka-cluster-ca-cert"}
    wanted: set[str] = set()
    for obj in objects:
        if obj["kind"] not in ("Deployment", "Job"):
            continue
        spec = obj["spec"]["template"]["spec"]
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            wanted |= {src["secretRef"]["name"] for src in container.get("envFrom", []) if "secretRef" in src}
            wanted |= {
                env["valueFrom"]["secretKeyRef"]["name"]
                for env in container.get("env", [])
                if "secretKeyRef" in env.get("valueFrom", {})
            }
        wanted |= {v["secret"]["secretName"] for v in spec.get("volumes", []) if "secret" in v}
    if overlay in WITH_OPERATORS:
        wanted |= {
            role["passwordSecret"]["name"]
            for role in objects_of(overlay, "Cluster")["jiuzhu-pg"]["spec"]["managed"]["roles"]
        }
    assert wanted <= provided, f"missing: {sorted(wanted - provided)}"


@pytest.mark.parametrize("overlay", PRODUCTION)
def test_production_secrets_come_from_the_store_and_nothing_secret_is_in_the_repository(overlay: str) -> None:
    objects = render(overlay)
    assert not [obj for obj in objects if obj["kind"] == "Secret"], "production renders no Secret of its own"
    externals = objects_of(overlay, "ExternalSecret")
    for owner in DATABASE_OWNERS:
        secrets = externals[f"{owner}-secrets"]["spec"]
        assert secrets["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "jiuzhu-secret-store"}
        assert secrets["target"]["deletionPolicy"] == "Retain", "deleting the object keeps the live Secret"
        assert {item["secretKey"] for item in secrets["data"]} == secret_keys(owner, production=True)
        assert {item["remoteRef"]["key"] for item in secrets["data"]} == {f"jiuzhu/{owner}"}
        credentials = externals[f"{owner}-db-credentials"]["spec"]
        assert credentials["target"]["template"]["type"] == "kubernetes.io/basic-auth"
        assert credentials["target"]["template"]["data"]["username"] == owner
    text = json.dumps(objects)
    for marker in ("CHANGE_ME", "dev-only", "changeme"):
        assert marker not in text
    for config in objects_of(overlay, "ConfigMap").values():
        assert all(value != "dev" for key, value in config["data"].items() if key.endswith("_ENV"))


def test_dev_secrets_hold_the_public_dev_values_the_services_refuse_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = objects_of("dev", "Secret")
    for owner in DATABASE_OWNERS:
        prefix = env_prefix(owner)
        data = secrets[f"{owner}-secrets"]["data"]  # kustomize writes base64 `data`
        values = {key: base64.b64decode(value).decode() for key, value in data.items()}
        assert set(values) == secret_keys(owner, production=False)
        url = urlsplit(values[f"{prefix}DATABASE_URL"])
        assert (url.username, url.password, url.hostname, url.path) == (
            owner,
            f"dev-only-{owner}",
            "jiuzhu-pg-rw",
            f"/jiuzhu_{owner}",
        )
        credentials = secrets[f"{owner}-db-credentials"]
        assert credentials["type"] == "kubernetes.io/basic-auth"
        assert base64.b64decode(credentials["data"]["password"]).decode() == url.password
        config = objects_of("dev", "ConfigMap")[f"{owner}-config"]["data"]
        assert config[f"{prefix}ENV"] == "dev"
        refused_in_prod(owner, {**config, **values}, monkeypatch)


def settings_class(owner: str) -> Any:
    if owner == "gateway":
        from gateway.settings import Settings

        return Settings
    return importlib.import_module(f"{owner}.main").DEFINITION.settings_class


def refused_in_prod(owner: str, environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The owner's settings load from `environment` (as a pod's variables) with `ENV=dev`, and
    refuse it with `ENV=prod`, each public value on its own (not only the first one checked)."""
    prefix = env_prefix(owner)
    cls = settings_class(owner)
    values = {key: value for key, value in environment.items() if key.startswith(prefix)}
    # the operators' Kafka passwords are not in the repository: plain Kafka for loading
    for key in ("KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_PASSWORD"):
        values.pop(f"{prefix}{key}", None)

    def load(**overrides: str) -> Any:
        with monkeypatch.context() as patch:
            for key, value in {**values, **overrides}.items():
                patch.setenv(key, value)
            return cls()

    if owner == "gateway":  # in prod the issuer must be an https URL (another check than this one)
        values.setdefault("GATEWAY_ISSUER", "https://jiuzhu.example.org")
    load()
    env = f"{prefix}ENV"
    with pytest.raises(ValueError, match=PUBLIC_SECRET):
        load(**{env: "prod"})
    public = [key for key in values if key.endswith(("DATABASE_URL", "PII_KEYS", "PII_INDEX_KEY"))]
    assert f"{prefix}DATABASE_URL" in public
    for key in public:
        others = {other: real_value(other, values[other]) for other in public if other != key}
        with pytest.raises(ValueError, match=PUBLIC_SECRET):
            load(**{env: "prod", **others})
    load(**{env: "prod", **{key: real_value(key, values[key]) for key in public}, **real_person_ref(prefix, values)})


def real_person_ref(prefix: str, values: dict[str, str]) -> dict[str, str]:
    from jiuzhu_platform.pii import generate_key

    key = f"{prefix}PERSON_REF_KEY"
    return {key: generate_key()} if key in values else {}


def real_value(key: str, value: str) -> str:
    """A non-public replacement of a setting's value (fresh keys, a strong password)."""
    from jiuzhu_platform.pii import generate_key

    if key.endswith("DATABASE_URL"):
        parts = urlsplit(value)
        return parts._replace(
            netloc=f"{parts.username}:S3cure-{generate_key()[:12]}@{parts.hostname}:{parts.port}"
        ).geturl()
    if key.endswith("PII_KEYS"):
        return json.dumps({"dev1": generate_key()})
    return generate_key()


@pytest.mark.parametrize("owner", DATABASE_OWNERS)
def test_the_compose_stack_is_dev_and_its_keys_are_refused_in_production(
    owner: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "gateway" if owner == "gateway" else owner
    environment = {key: interpolate(value) for key, value in as_env_dict(compose_service(name)["environment"]).items()}
    assert environment[f"{env_prefix(owner)}ENV"] == "dev"
    refused_in_prod(owner, environment, monkeypatch)


@pytest.mark.parametrize("overlay", WITH_OPERATORS)
def test_every_owner_has_its_database_and_role(overlay: str) -> None:
    cluster = objects_of(overlay, "Cluster")["jiuzhu-pg"]["spec"]
    roles = {role["name"]: role for role in cluster["managed"]["roles"]}
    assert set(roles) == set(DATABASE_OWNERS)
    for owner, role in roles.items():
        assert role["login"] is True
        assert role["passwordSecret"]["name"] == f"{owner}-db-credentials"
        assert not role.get("superuser")
        assert not role.get("createrole")
    databases = {db["spec"]["name"]: db["spec"] for db in objects_of(overlay, "Database").values()}
    assert databases == {
        f"jiuzhu_{owner}": {
            "cluster": {"name": "jiuzhu-pg"},
            "name": f"jiuzhu_{owner}",
            "owner": owner,
            "ensure": "present",
        }
        for owner in DATABASE_OWNERS
    }
    assert cluster["instances"] == (3 if overlay == "prod" else 1)


@pytest.mark.parametrize("overlay", WITH_OPERATORS)
def test_every_topic_and_its_dlq_exist_replicated_with_a_user_per_service(overlay: str) -> None:
    production = overlay == "prod"
    topics = {t["spec"]["topicName"]: t["spec"] for t in objects_of(overlay, "KafkaTopic").values()}
    assert set(topics) == {*ALL_EVENT_TOPICS, *(dlq_topic(t) for t in ALL_EVENT_TOPICS)}
    for name, spec in topics.items():
        assert spec["replicas"] == (3 if production else 1)
        assert int(spec["config"]["min.insync.replicas"]) == (2 if production else 1)
        assert spec["partitions"] == (1 if name.endswith(".dlq") else 6)
    kafka = objects_of(overlay, "Kafka")["jiuzhu-kafka"]["spec"]["kafka"]
    assert kafka["config"]["auto.create.topics.enable"] is False
    assert [(listener["tls"], listener["authentication"]["type"]) for listener in kafka["listeners"]] == [
        (True, "scram-sha-512")
    ]
    users = objects_of(overlay, "KafkaUser")
    assert set(users) == set(SERVICES)
    for svc, user in users.items():
        acls = user["spec"]["authorization"]["acls"]
        writes = {
            a["resource"]["name"] for a in acls if a["resource"]["type"] == "topic" and "Write" in a["operations"]
        }
        assert writes == {f"{svc}.events", *(dlq_topic(t) for t in ALL_EVENT_TOPICS)}, (
            "a service writes only its own events"
        )
        config = objects_of(overlay, "ConfigMap")[f"{svc}-config"]["data"]
        prefix = env_prefix(svc)
        assert config[f"{prefix}KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert config[f"{prefix}KAFKA_SASL_USERNAME"] == svc
        assert config[f"{prefix}KAFKA_BOOTSTRAP_SERVERS"] == "jiuzhu-kafka-kafka-bootstrap:9093"


def test_the_bootstrap_job_provisions_every_owner_and_topic() -> None:
    (job,) = objects_of("prod-external", "Job").values()
    spec = job["spec"]["template"]["spec"]
    script = spec["initContainers"][0]["args"][0]
    for owner in DATABASE_OWNERS:
        assert f"-v role={owner} " in script
        assert f"/creds/{owner}/password" in script
    topics_script = spec["containers"][0]["args"][0]
    for topic in ALL_EVENT_TOPICS:
        assert f" {topic} " in topics_script
        assert f" {dlq_topic(topic)}" in topics_script
    assert "--replication-factor 3" in topics_script
    assert "min.insync.replicas=2" in topics_script


@pytest.mark.parametrize("overlay", PRODUCTION)
def test_production_has_the_ingress_to_the_gateway_only(overlay: str) -> None:
    ingresses = objects_of(overlay, "Ingress")
    assert ingresses
    backends = {
        path["backend"]["service"]["name"]
        for ingress in ingresses.values()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"gateway"}

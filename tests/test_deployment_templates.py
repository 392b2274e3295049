"""The production templates in deployments/ are wired as documented: Kubernetes manifests (loaded as YAML:
images, ports, Services that find their pods, every credential from the Secret, Prefect's multi-server
settings on every Prefect process) and the Compose scale-out override (resolved by the real Compose
parser)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
K8S = REPO / "deployments" / "kubernetes"
# Names whose values are credentials (or URLs that may carry one): never inline, never in a ConfigMap.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|AUTH_STRING|DATABASE_URL|CONNECTION_URL|REDIS|DOCKET_URL|ROLE_ID")
PREFECT_REDIS = {
    "PREFECT_MESSAGING_BROKER": "prefect_redis.messaging",
    "PREFECT_MESSAGING_CACHE": "prefect_redis.messaging",
    "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING": "prefect_redis.ordering",
    "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect_redis.lease_storage",
    "PREFECT_API_DATABASE_MIGRATE_ON_START": "false",
    "PREFECT_API_BLOCKS_REGISTER_ON_START": "false",
}


def manifests() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    docs: list[dict[str, Any]] = []
    for name in kustomization["resources"]:
        docs += [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    return docs


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in manifests() if d["kind"] == kind}


def pod_specs() -> dict[str, dict[str, Any]]:
    found = {}
    for doc in manifests():
        if doc["kind"] in ("Deployment", "StatefulSet", "Job"):
            found[doc["metadata"]["name"]] = doc["spec"]["template"]
    return found


def secret_keys() -> set[str]:
    lines = (K8S / "secret.example.env").read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}


def test_every_credential_comes_from_the_secret() -> None:
    keys = secret_keys()
    for name, template in pod_specs().items():
        for container in template["spec"]["containers"]:
            for env in container.get("env", []):
                if SECRET_NAME.search(env["name"]) and env["name"] != "POD_NAME":
                    ref = env.get("valueFrom", {}).get("secretKeyRef")
                    assert ref, f"{name}: {env['name']} is not read from a Secret"
                    assert ref["name"] == "agentflow" and ref["key"] in keys, f"{name}: {ref}"
    for config in by_kind("ConfigMap").values():
        leaked = [
            key for key in config["data"] if SECRET_NAME.search(key) and key != "AGENTFLOW_TRUSTED_PROXIES"
        ]
        assert leaked == [], f"{config['metadata']['name']} holds credentials: {leaked}"


def test_services_find_their_pods_and_ports() -> None:
    specs = pod_specs()
    for name, service in by_kind("Service").items():
        selector = service["spec"]["selector"]
        matching = [
            t for t in specs.values() if selector.items() <= t.get("metadata", {}).get("labels", {}).items()
        ]
        assert matching, f"Service {name} selects no pod"
        ports = {p["containerPort"] for t in matching for c in t["spec"]["containers"] for p in c["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports, name
    config = by_kind("ConfigMap")["agentflow-config"]["data"]
    assert config["PREFECT_API_URL"] == "http://prefect-api:4200/api"
    assert "prefect-api" in by_kind("Service")


def test_prefect_runs_as_webservers_plus_one_services_process_on_redis() -> None:
    deployments = by_kind("Deployment")
    api = deployments["prefect-api"]
    assert api["spec"]["replicas"] >= 2
    assert "--no-services" in api["spec"]["template"]["spec"]["containers"][0]["command"]
    services = deployments["prefect-services"]
    assert services["spec"]["replicas"] == 1
    assert services["spec"]["template"]["spec"]["containers"][0]["command"][-2:] == ["services", "start"]
    assert by_kind("ConfigMap")["prefect-config"]["data"].items() >= PREFECT_REDIS.items()
    for name in ("prefect-api", "prefect-services", "prefect-migrate"):
        container = pod_specs()[name]["spec"]["containers"][0]
        assert {"configMapRef": {"name": "prefect-config"}} in container["envFrom"], name
        env = {e["name"]: e["valueFrom"]["secretKeyRef"]["key"] for e in container["env"]}
        assert env["PREFECT_REDIS_MESSAGING_URL"] == env["PREFECT_SERVER_DOCKET_URL"] == "redis-url"
        assert env["PREFECT_API_DATABASE_CONNECTION_URL"] == "prefect-database-url"


def test_workers_are_named_after_their_pods_and_use_the_agentflow_image() -> None:
    worker = pod_specs()["agentflow-worker"]["spec"]["containers"][0]
    assert worker["command"][-1] == "agentflow.engine.worker"
    assert worker["args"] == ["--pool", "agentflow", "--name", "$(POD_NAME)"]
    pod_name = next(e for e in worker["env"] if e["name"] == "POD_NAME")
    assert pod_name["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    images = {c["image"] for t in pod_specs().values() for c in t["spec"]["containers"]}
    assert images == {"agentflow", "pgvector/pgvector:pg16", "redis:7-alpine"}


def compose_config() -> dict[str, Any]:
    import compose

    binary = Path(compose.__file__).parent / "docker-compose"
    result = subprocess.run(
        [
            str(binary),
            "-f",
            "docker-compose.yml",
            "-f",
            "deployments/compose/scale-out.yml",
            "config",
            "--format",
            "json",
        ],
        cwd=REPO,
        env={**os.environ, "AGENTFLOW_JWT_SECRET": "check", "PREFECT_AUTH_STRING": "agentflow:check"},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(result.stdout))


def test_compose_scale_out_override_resolves_to_the_production_shape() -> None:
    pytest.importorskip("compose")
    services = compose_config()["services"]
    assert {
        "redis",
        "prefect-migrate",
        "prefect-server",
        "prefect-services",
        "migrate",
        "api",
        "worker",
    } <= set(services)
    server = services["prefect-server"]
    assert "--no-services" in server["command"] and server["image"] == "agentflow:latest"
    for name in ("prefect-server", "prefect-services", "prefect-migrate"):
        env = services[name]["environment"]
        assert env.items() >= PREFECT_REDIS.items(), name
        assert (
            env["PREFECT_REDIS_MESSAGING_URL"] == env["PREFECT_SERVER_DOCKET_URL"] == "redis://redis:6379/0"
        )
    assert services["api"]["deploy"]["replicas"] == 2 and services["worker"]["deploy"]["replicas"] == 2
    assert "agentflow db upgrade" not in " ".join(services["api"]["command"])  # once, in `migrate`
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "$(hostname)" in " ".join(services["worker"]["command"])

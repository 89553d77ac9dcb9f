"""The tools the Kubernetes tests render and validate with, found or installed (cached outside the
repository, like the Kafka jars), never mocked:

- kustomize: `kubectl kustomize` or a `kustomize` on PATH, else `go install` of kustomize v5 from
  the Go module proxy into `~/.cache/jiuzhu/bin`;
- the core objects' schemas: `kubernetes-validate` (a dev dependency, schemas inside the wheel);
- the operators' CRD schemas: the `@kubernetes-models` packages of CloudNativePG, Strimzi and
  External Secrets, `npm ci`'d from `deploy/k8s/validate/package-lock.json` into
  `~/.cache/jiuzhu/k8s-validate`.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
VALIDATE_DIR = K8S / "validate"
CACHE = Path(os.environ.get("JIUZHU_CACHE", Path.home() / ".cache" / "jiuzhu"))
KUSTOMIZE_MODULE = "sigs.k8s.io/kustomize/kustomize/v5@v5.5.0"
KUBERNETES_VERSION = "1.32"
"""The oldest Kubernetes the manifests must work on (HPA v2, PDB v1, matchLabelKeys-free spread)."""

OPERATOR_GROUPS = frozenset({"postgresql.cnpg.io", "kafka.strimzi.io", "external-secrets.io", "monitoring.coreos.com"})


@functools.cache
def kustomize_command() -> list[str]:
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    binary = CACHE / "bin" / "kustomize"
    if not binary.exists():
        assert shutil.which("go"), "no kubectl, kustomize or go to build kustomize with"
        binary.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "GOBIN": str(binary.parent), "GOFLAGS": "-mod=mod"}
        subprocess.run(["go", "install", KUSTOMIZE_MODULE], check=True, env=env, timeout=900)
    return [str(binary), "build"]


@functools.cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    """`kustomize build deploy/k8s/overlays/<overlay>` as a tuple of objects."""
    out = subprocess.run(
        [*kustomize_command(), str(K8S / "overlays" / overlay)], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, f"kustomize build of {overlay} failed:\n{out.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(out.stdout) if doc)


def api_group(obj: dict[str, Any]) -> str:
    version = str(obj["apiVersion"])
    return version.split("/")[0] if "/" in version else ""


@functools.cache
def crd_validator() -> Path:
    """The directory where `validate-crds.mjs` runs with its node_modules (installed once)."""
    assert shutil.which("node"), "node is needed to validate custom resources"
    assert shutil.which("npm"), "npm is needed to install the operators' schemas"
    target = CACHE / "k8s-validate"
    lock = (VALIDATE_DIR / "package-lock.json").read_bytes()
    stamp = target / ".installed-lock"
    if not stamp.exists() or stamp.read_bytes() != lock:
        target.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(VALIDATE_DIR / name, target / name)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=target, check=True, timeout=600)
        stamp.write_bytes(lock)
    shutil.copyfile(VALIDATE_DIR / "validate-crds.mjs", target / "validate-crds.mjs")
    return target


def validate_custom_resources(objects: list[dict[str, Any]]) -> tuple[int, str]:
    """Run the operators' schemas over `objects`: (exit code, report)."""
    directory = crd_validator()
    out = subprocess.run(
        ["node", "validate-crds.mjs"],
        cwd=directory,
        input=json.dumps(objects),
        capture_output=True,
        text=True,
        timeout=300,
    )
    return out.returncode, out.stdout + out.stderr

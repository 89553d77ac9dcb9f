"""Dependency rules between layers and packages, checked on the source with `ast`.

- A service's `domain/` is pure: no web framework, ORM, HTTP client or Kafka client, none of
  its own service's outer layers (`adapters`, `api`, `service`, …), and none of the platform's
  I/O modules. `jiuzhu_platform.errors` is allowed (domain errors subclass its bases). A
  service split into feature folders has one `domain/` per feature (`<package>/<feature>/domain/`);
  a feature's domain may use another feature's domain, never its outer layers.
- `shared` depends on the standard library, pydantic and pydantic_core only.
- No service imports another service's package: services talk through events and HTTP.
- No module builds a database engine, an HTTP client or a Kafka client at import time.

Services are discovered from the file system (`services/*/src/<package>/__init__.py`), so a
new service is checked without touching this file. Each checker is also run on small
synthetic sources that break its rule, so a checker that silently stops matching fails too.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES_DIR = ROOT / "services"
SHARED_SRC = ROOT / "shared" / "src"
KNOWN_SERVICES = {"eligibility", "verification", "payment", "monitoring", "procurement"}

# Third-party libraries that mean I/O or a framework; a domain module imports none of them.
DOMAIN_FORBIDDEN_LIBRARIES = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "httpx",
    "aiokafka",
    "asyncpg",
    "aiosqlite",
    "alembic",
    "uvicorn",
    "jwt",
)
# The platform modules a domain may import: pure ones (no framework, I/O or token library),
# checked below to stay so. Any other platform module is an outer layer for a domain.
DOMAIN_ALLOWED_PLATFORM = (
    "jiuzhu_platform.errors",
    "jiuzhu_platform.auth.errors",
    "jiuzhu_platform.auth.roles",
    "jiuzhu_platform.auth.principal",
)
PLATFORM_SRC = ROOT / "platform" / "src"
GATEWAY_SRC = ROOT / "gateway" / "src"
SHARED_ALLOWED_THIRD_PARTY = frozenset({"pydantic", "pydantic_core", "shared"})
# Callables that open pools, sockets or connections when called.
IMPORT_TIME_FORBIDDEN_CALLS = frozenset(
    {
        "create_async_engine",
        "create_engine",
        "AsyncClient",
        "AIOKafkaProducer",
        "AIOKafkaConsumer",
        "AIOKafkaAdminClient",
    }
)


# --------------------------------------------------------------------------------- discovery


@dataclass(frozen=True)
class SourceModule:
    path: Path
    name: str  # dotted module name, e.g. "eligibility.domain.rules"
    is_package: bool  # an __init__.py

    @property
    def rel(self) -> str:
        return self.path.relative_to(ROOT).as_posix()

    def source(self) -> str:
        return self.path.read_text(encoding="utf-8")


def modules_under(src_root: Path, package_dir: Path) -> list[SourceModule]:
    """Every .py file under `package_dir`, named relative to `src_root`."""
    out = []
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(src_root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out.append(SourceModule(path, ".".join(parts), is_package))
    return out


def discover_service_packages() -> dict[str, Path]:
    """Service package name → its folder (`services/<svc>/src/<package>`)."""
    return {init.parent.name: init.parent for init in sorted(SERVICES_DIR.glob("*/src/*/__init__.py"))}


SERVICE_PACKAGES = discover_service_packages()


def service_modules(package: str) -> list[SourceModule]:
    package_dir = SERVICE_PACKAGES[package]
    return modules_under(package_dir.parent, package_dir)


def domain_layer(name: str) -> str | None:
    """The domain layer a dotted module name is in: `<package>.domain` or, in a feature folder,
    `<package>.<feature>.domain`; None outside any domain layer."""
    parts = name.split(".")
    for depth in (1, 2):
        if len(parts) > depth and parts[depth] == "domain":
            return ".".join(parts[: depth + 1])
    return None


def domain_modules() -> list[tuple[str, SourceModule]]:
    """(the module's domain layer, module): every service's `domain/` (also each feature
    folder's, `<package>/<feature>/domain/`) and the gateway's `identity/domain/`."""
    services = [
        (layer, module)
        for package in SERVICE_PACKAGES
        for module in service_modules(package)
        if (layer := domain_layer(module.name)) is not None
    ]
    gateway = [
        ("gateway.identity.domain", module)
        for module in modules_under(GATEWAY_SRC, GATEWAY_SRC / "gateway" / "identity" / "domain")
    ]
    return services + gateway


def pure_platform_modules() -> list[SourceModule]:
    allowed = []
    for name in DOMAIN_ALLOWED_PLATFORM:
        path = PLATFORM_SRC.joinpath(*name.split(".")).with_suffix(".py")
        allowed.append(SourceModule(path, name, False))
    return allowed


def import_time_modules() -> list[SourceModule]:
    out = [module for package in SERVICE_PACKAGES for module in service_modules(package)]
    for src_root in (ROOT / "gateway" / "src", ROOT / "platform" / "src"):
        for package_dir in sorted(p for p in src_root.iterdir() if (p / "__init__.py").exists()):
            out += modules_under(src_root, package_dir)
    return out


def shared_modules() -> list[SourceModule]:
    return modules_under(SHARED_SRC, SHARED_SRC / "shared")


# ----------------------------------------------------------------------------------- imports


@dataclass(frozen=True)
class Import:
    name: str  # absolute dotted name
    line: int


def imports_of(source: str, module: str, *, is_package: bool = False) -> list[Import]:
    """Every import anywhere in the module (also inside functions), relative ones resolved.

    `from a.b import c` yields both `a.b` and `a.b.c` (c may be a submodule)."""
    package_parts = module.split(".") if is_package else module.split(".")[:-1]
    out: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [Import(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                kept = len(package_parts) - (node.level - 1)
                base_parts = package_parts[: max(kept, 0)] + ([node.module] if node.module else [])
                base = ".".join(base_parts)
            else:
                base = node.module or ""
            out.append(Import(base, node.lineno))
            out += [Import(f"{base}.{alias.name}", node.lineno) for alias in node.names if alias.name != "*"]
    return out


def is_within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def domain_violations(source: str, module: str, domain: str, *, is_package: bool = False) -> list[str]:
    """What a module of `domain` (e.g. `eligibility.domain`) imports that a domain must not."""
    package = domain.split(".")[0]
    found = []
    for imp in imports_of(source, module, is_package=is_package):
        if any(is_within(imp.name, lib) for lib in DOMAIN_FORBIDDEN_LIBRARIES):
            found.append(f"line {imp.line}: {imp.name} (framework / I/O library)")
        elif (
            is_within(imp.name, "jiuzhu_platform")
            and imp.name not in ("jiuzhu_platform", "jiuzhu_platform.auth")
            and not any(is_within(imp.name, pure) for pure in DOMAIN_ALLOWED_PLATFORM)
        ):
            found.append(f"line {imp.line}: {imp.name} (platform module with I/O or a framework)")
        elif (
            is_within(imp.name, package)
            and imp.name != package
            and not is_within(imp.name, domain)
            and domain_layer(imp.name) is None
        ):
            found.append(f"line {imp.line}: {imp.name} (outer layer of {package}: adapters, api, service, …)")
    return sorted(set(found))


def shared_violations(source: str, module: str, *, is_package: bool = False) -> list[str]:
    found = []
    for imp in imports_of(source, module, is_package=is_package):
        top = imp.name.split(".")[0]
        if top not in sys.stdlib_module_names and top not in SHARED_ALLOWED_THIRD_PARTY:
            found.append(f"line {imp.line}: {imp.name}")
    return sorted(set(found))


def cross_service_violations(source: str, module: str, package: str, *, is_package: bool = False) -> list[str]:
    others = set(SERVICE_PACKAGES) | KNOWN_SERVICES
    others.discard(package)
    found = [
        f"line {imp.line}: {imp.name}"
        for imp in imports_of(source, module, is_package=is_package)
        if imp.name.split(".")[0] in others
    ]
    return sorted(set(found))


# ----------------------------------------------------------------------- import-time calls


def dotted_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    return None


def is_main_guard(node: ast.stmt) -> bool:
    """`if __name__ == "__main__":` runs only when executed as a script, never on import."""
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in node.test.comparators)
    )


def calls_run_on_import(tree: ast.Module) -> Iterator[ast.Call]:
    """Calls evaluated when the module is imported: top-level statements and class bodies,
    decorators and default values, but not function or lambda bodies."""
    stack: list[ast.AST] = [stmt for stmt in tree.body if not is_main_guard(stmt)]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            arguments = node.args
            stack += [d for d in (*arguments.defaults, *arguments.kw_defaults) if d is not None]
            if not isinstance(node, ast.Lambda):
                stack += node.decorator_list
            continue
        if isinstance(node, ast.Call):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def import_time_violations(source: str) -> list[str]:
    found = []
    for call in calls_run_on_import(ast.parse(source)):
        name = dotted_name(call.func)
        if name is not None and name.rsplit(".", 1)[-1] in IMPORT_TIME_FORBIDDEN_CALLS:
            found.append(f"line {call.lineno}: {name}(…) at import time")
    return sorted(set(found))


# ------------------------------------------------------------------------------------- tests


def ids(modules: list[SourceModule]) -> list[str]:
    return [m.rel for m in modules]


DOMAIN_MODULES = domain_modules()
SHARED_MODULES = shared_modules()
SERVICE_SOURCE_MODULES = [(package, module) for package in SERVICE_PACKAGES for module in service_modules(package)]
IMPORT_TIME_MODULES = import_time_modules()


class TestDiscovery:
    def test_every_known_service_is_discovered(self) -> None:
        assert set(SERVICE_PACKAGES) >= KNOWN_SERVICES

    @pytest.mark.parametrize("package", sorted(SERVICE_PACKAGES))
    def test_every_service_has_a_domain_layer_with_rules(self, package: str) -> None:
        names = {module.name for p, module in DOMAIN_MODULES if is_within(p, package)}

        assert {f"{p}.rules" for p, _ in DOMAIN_MODULES if is_within(p, package)} & names

    def test_the_domain_layers_of_feature_folders_are_scanned(self) -> None:
        names = {module.name for _, module in DOMAIN_MODULES}

        assert {
            "eligibility.applications.domain.rules",
            "eligibility.assessment.domain.rules",
            "eligibility.assessment.domain.income",
            "eligibility.policy.domain.model",
            "eligibility.deadlines.domain.calendar",
        } <= names

    def test_the_gateway_identity_domain_is_scanned(self) -> None:
        names = {module.name for p, module in DOMAIN_MODULES if p == "gateway.identity.domain"}

        assert {"gateway.identity.domain.rules", "gateway.identity.domain.errors"} <= names

    def test_shared_gateway_and_platform_sources_are_found(self) -> None:
        assert "shared.types" in {m.name for m in SHARED_MODULES}
        names = {m.name for m in IMPORT_TIME_MODULES}
        assert {"jiuzhu_platform.db", "gateway.main", "eligibility.main"} <= names


class TestDomainIsPure:
    @pytest.mark.parametrize(("domain", "module"), DOMAIN_MODULES, ids=[m.rel for _, m in DOMAIN_MODULES])
    def test_domain_module_imports_no_framework_io_or_outer_layer(self, domain: str, module: SourceModule) -> None:
        assert domain_violations(module.source(), module.name, domain, is_package=module.is_package) == []

    @pytest.mark.parametrize("module", pure_platform_modules(), ids=ids(pure_platform_modules()))
    def test_the_platform_modules_a_domain_may_import_are_pure(self, module: SourceModule) -> None:
        """They pass the same check as a domain module (so importing them keeps a domain pure)."""
        assert module.path.exists(), module.path
        assert domain_violations(module.source(), module.name, "jiuzhu_platform") == []


class TestSharedDependsOnStdlibAndPydanticOnly:
    @pytest.mark.parametrize("module", SHARED_MODULES, ids=ids(SHARED_MODULES))
    def test_shared_module_imports_only_stdlib_pydantic_and_shared(self, module: SourceModule) -> None:
        assert shared_violations(module.source(), module.name, is_package=module.is_package) == []


class TestServicesAreIndependent:
    @pytest.mark.parametrize(
        ("package", "module"), SERVICE_SOURCE_MODULES, ids=[m.rel for _, m in SERVICE_SOURCE_MODULES]
    )
    def test_service_imports_no_other_service(self, package: str, module: SourceModule) -> None:
        assert cross_service_violations(module.source(), module.name, package, is_package=module.is_package) == []


class TestNothingConnectsAtImport:
    @pytest.mark.parametrize("module", IMPORT_TIME_MODULES, ids=ids(IMPORT_TIME_MODULES))
    def test_module_builds_no_engine_or_client_at_import(self, module: SourceModule) -> None:
        assert import_time_violations(module.source()) == []


class TestCheckersCatchViolations:
    """The checkers on synthetic sources: each rule is broken once and must be reported."""

    @pytest.mark.parametrize(
        "source",
        [
            "import sqlalchemy",
            "from sqlalchemy.orm import Session",
            "import fastapi.responses",
            "from starlette.requests import Request",
            "import httpx",
            "from aiokafka import AIOKafkaProducer",
            "from jiuzhu_platform import db",
            "from jiuzhu_platform.db import Database",
            "from jiuzhu_platform.bus import OutgoingMessage",
            "from jiuzhu_platform.outbox import add_event",
            "from jiuzhu_platform.consumer import EventConsumer",
            "from jiuzhu_platform.auth import requires",
            "from jiuzhu_platform.auth.verifier import TokenVerifier",
            "from jiuzhu_platform.http_errors import refusals",
            "import jwt",
            "from eligibility.adapters.orm import outbox",
            "from eligibility.api.schemas import ApplicationRead",
            "from eligibility import api",
            "from ..adapters import repository",
            "from .. import service",
            "def load():\n    import sqlalchemy\n    return sqlalchemy",
        ],
    )
    def test_domain_checker_reports_a_forbidden_import(self, source: str) -> None:
        assert domain_violations(source, "eligibility.domain.rules", "eligibility.domain") != []

    @pytest.mark.parametrize(
        "source",
        [
            "from eligibility.applications.adapters.orm import application",
            "from eligibility.policy.adapters.policy_files import policy_book",
            "from eligibility.assessment.api.schemas import AssessmentCreate",
            "from eligibility.policy import service",
            "from eligibility.adapters.orm import outbox",
            "from ..adapters import repository",
            "from ...policy.service import load_policies",
            "from eligibility import main",
        ],
    )
    def test_domain_checker_reports_an_outer_layer_of_a_feature_folder(self, source: str) -> None:
        assert domain_violations(source, "eligibility.assessment.domain.rules", "eligibility.assessment.domain") != []

    @pytest.mark.parametrize(
        "source",
        [
            "from eligibility.assessment.domain.model import HouseholdFacts",
            "from eligibility.policy.domain.model import ResolvedPolicy",
            "from eligibility.policy.domain import errors",
            "from ...policy.domain.model import ParamRef",
            "from .income import member_income",
        ],
    )
    def test_domain_checker_accepts_the_domain_of_any_feature(self, source: str) -> None:
        assert domain_violations(source, "eligibility.assessment.domain.rules", "eligibility.assessment.domain") == []

    @pytest.mark.parametrize(
        "source",
        [
            "from __future__ import annotations\nfrom dataclasses import dataclass",
            "from jiuzhu_platform.errors import NotFound",
            "from jiuzhu_platform import errors",
            "from jiuzhu_platform.auth.roles import ROLE_SCOPES",
            "from jiuzhu_platform.auth.principal import Principal",
            "from shared.events import ApplicationSubmitted",
            "from eligibility.domain.model import Application",
            "from .model import Application",
            "from . import model",
        ],
    )
    def test_domain_checker_accepts_pure_imports(self, source: str) -> None:
        assert domain_violations(source, "eligibility.domain.rules", "eligibility.domain") == []

    def test_relative_import_is_resolved_from_a_package_init(self) -> None:
        assert domain_violations(
            "from ..adapters import orm", "eligibility.domain", "eligibility.domain", is_package=True
        )
        assert not domain_violations("from . import rules", "eligibility.domain", "eligibility.domain", is_package=True)

    @pytest.mark.parametrize(
        "source",
        ["import requests", "from sqlalchemy import Table", "import fastapi", "from jiuzhu_platform import db"],
    )
    def test_shared_checker_reports_a_non_stdlib_import(self, source: str) -> None:
        assert shared_violations(source, "shared.types") != []

    @pytest.mark.parametrize(
        "source",
        [
            "import json, re\nfrom decimal import Decimal",
            "from pydantic import BaseModel",
            "from pydantic_core import PydanticCustomError",
            "from shared import regions",
            "from .base import Event",
        ],
    )
    def test_shared_checker_accepts_stdlib_pydantic_and_shared(self, source: str) -> None:
        assert shared_violations(source, "shared.events.eligibility") == []

    @pytest.mark.parametrize(
        "source",
        [
            "from payment.domain import rules",
            "import monitoring.service",
            "def later():\n    from procurement.main import DEFINITION",
        ],
    )
    def test_cross_service_checker_reports_another_services_package(self, source: str) -> None:
        assert cross_service_violations(source, "eligibility.service", "eligibility") != []

    def test_cross_service_checker_accepts_own_package_and_shared_code(self) -> None:
        source = (
            "from eligibility.domain import rules\nfrom shared.events import Event\nfrom jiuzhu_platform import errors"
        )
        assert cross_service_violations(source, "eligibility.service", "eligibility") == []

    @pytest.mark.parametrize(
        "source",
        [
            "from sqlalchemy.ext.asyncio import create_async_engine\nENGINE = create_async_engine('sqlite+aiosqlite://')",
            "import sqlalchemy\nENGINE = sqlalchemy.create_engine('sqlite://')",
            "import httpx\nCLIENT = httpx.AsyncClient()",
            "from httpx import AsyncClient\nclients = {'a': AsyncClient()}",
            "from aiokafka import AIOKafkaProducer\nPRODUCER = AIOKafkaProducer(bootstrap_servers='k:9092')",
            "from aiokafka import AIOKafkaConsumer\nclass Holder:\n    consumer = AIOKafkaConsumer('t')",
            "import httpx\ndef fetch(client=httpx.AsyncClient()):\n    return client",
            "import httpx\n@register(httpx.AsyncClient())\ndef handler():\n    pass",
            "import os\nif os.environ.get('X'):\n    ENGINE = create_engine('sqlite://')",
        ],
    )
    def test_import_time_checker_reports_a_module_level_construction(self, source: str) -> None:
        assert import_time_violations(source) != []

    @pytest.mark.parametrize(
        "source",
        [
            "from sqlalchemy.ext.asyncio import create_async_engine\n"
            "def build(url):\n"
            "    return create_async_engine(url)",
            "import httpx\n"
            "async def lifespan(app):\n"
            "    async with httpx.AsyncClient() as client:\n"
            "        yield client",
            "import httpx\nclass Proxy:\n    def __init__(self):\n        self.client = httpx.AsyncClient()",
            "import httpx\nmake = lambda: httpx.AsyncClient()",
            "if __name__ == '__main__':\n    ENGINE = create_engine('sqlite://')",
        ],
    )
    def test_import_time_checker_accepts_construction_deferred_to_run_time(self, source: str) -> None:
        assert import_time_violations(source) == []

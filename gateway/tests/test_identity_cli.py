"""The gateway's command line against a real (SQLite) gateway database: what the README's
"first admin and first department client" steps run."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.__main__ import cli
from gateway.testing import STRONG_PASSWORD, DepartmentKey
from jiuzhu_platform.pii import generate_key


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "GATEWAY_ENV": "test",
        "GATEWAY_UPSTREAMS": "{}",
        "GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
        "GATEWAY_PII_KEYS": f'{{"k1": "{generate_key()}"}}',
        "GATEWAY_PII_ACTIVE_KEY": "k1",
        "GATEWAY_PII_INDEX_KEY": generate_key(),
        "GATEWAY_ARGON2_TIME_COST": "1",
        "GATEWAY_ARGON2_MEMORY_COST_KIB": "8192",
        "GATEWAY_ARGON2_PARALLELISM": "1",
    }


def test_first_admin_first_client_rotation_and_audit(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    migrated = runner.invoke(cli, ["migrate"], env=env)
    assert migrated.exit_code == 0, migrated.output
    admin = runner.invoke(
        cli, ["create-admin", "--username", "root", "--password-stdin"], input=f"{STRONG_PASSWORD}\n", env=env
    )
    assert admin.exit_code == 0, admin.output
    assert "created user root (city_admin)" in admin.output
    assert STRONG_PASSWORD not in admin.output
    again = runner.invoke(
        cli, ["create-admin", "--username", "root", "--password-stdin"], input=f"{STRONG_PASSWORD}\n", env=env
    )
    assert again.exit_code == 1
    assert "user_exists" in again.output
    weak = runner.invoke(cli, ["create-admin", "--username", "root2", "--password-stdin"], input="short\n", env=env)
    assert weak.exit_code == 1
    assert "password_length" in weak.output
    caseworker = runner.invoke(
        cli,
        [
            "create-user",
            "--username",
            "cw",
            "--role",
            "town_caseworker",
            "--region",
            "520102001000",
            "--password-stdin",
        ],
        input=f"{STRONG_PASSWORD}\n",
        env=env,
    )
    assert caseworker.exit_code == 0, caseworker.output
    key_file = tmp_path / "dept.pem"
    key_file.write_text(DepartmentKey().public_pem)
    client = runner.invoke(
        cli,
        [
            "create-client",
            "--name",
            "市民政局",
            "--kind",
            "department",
            "--scope",
            "monitoring:households:read",
            "--region",
            "520102",
            "--public-key-file",
            str(key_file),
        ],
        env=env,
    )
    assert client.exit_code == 0, client.output
    assert "client_id=dept_" in client.output
    assert "client_secret=" in client.output
    rotated = runner.invoke(cli, ["rotate-keys"], env=env)
    assert rotated.exit_code == 0, rotated.output
    verified = runner.invoke(cli, ["audit-verify"], env=env)
    assert verified.exit_code == 0, verified.output
    assert "audit chain intact" in verified.output
    # Tamper with the trail behind the application's back (dropping the append-only trigger).
    with sqlite3.connect(tmp_path / "gateway.db") as connection:
        connection.execute('DROP TRIGGER "audit_entry_no_update"')
        connection.execute("UPDATE audit_entry SET outcome = 'forged' WHERE seq = 1")
    broken = runner.invoke(cli, ["audit-verify"], env=env)
    assert broken.exit_code == 1
    assert "BROKEN at seq 1" in broken.output

"""`python -m jiuzhu_platform.pii_keys [PREFIX]`: print a fresh key set for personal data at rest
as environment lines (`<PREFIX>_PII_KEYS`, `_PII_ACTIVE_KEY`, `_PII_INDEX_KEY`), for a secret
store or a local `.env`. Nothing is written anywhere else."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from jiuzhu_platform.pii import generate_key


def key_set_lines(prefix: str, kid: str = "k1") -> list[str]:
    prefix = prefix.upper().rstrip("_")
    return [
        f"{prefix}_PII_KEYS='{json.dumps({kid: generate_key()})}'",
        f"{prefix}_PII_ACTIVE_KEY={kid}",
        f"{prefix}_PII_INDEX_KEY={generate_key()}",
    ]


def dev_key_settings(path: Path) -> dict[str, Any]:
    """dev only (embedded mode): the PII settings values (`pii_keys`, `pii_active_key`,
    `pii_index_key`) kept in a local JSON file, made with fresh random keys (mode 0600) on
    first use, so encrypted data survives restarts. Production keys come from a secret store."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {"keys": {"dev1": generate_key()}, "active": "dev1", "index": generate_key()}
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # made meanwhile by another process: use that one
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                json.dump(document, handle)
    document = json.loads(path.read_text())
    return {"pii_keys": document["keys"], "pii_active_key": document["active"], "pii_index_key": document["index"]}


def main(argv: list[str]) -> int:
    prefix = argv[0] if argv else "SERVICE"
    print("\n".join(key_set_lines(prefix)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

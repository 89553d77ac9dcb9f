"""`python -m jiuzhu_platform.pii_keys [PREFIX]`: print a fresh key set for personal data at rest
as environment lines (`<PREFIX>_PII_KEYS`, `_PII_ACTIVE_KEY`, `_PII_INDEX_KEY`), for a secret
store or a local `.env`. Nothing is written anywhere else."""

from __future__ import annotations

import json
import sys

from jiuzhu_platform.pii import generate_key


def key_set_lines(prefix: str, kid: str = "k1") -> list[str]:
    prefix = prefix.upper().rstrip("_")
    return [
        f"{prefix}_PII_KEYS='{json.dumps({kid: generate_key()})}'",
        f"{prefix}_PII_ACTIVE_KEY={kid}",
        f"{prefix}_PII_INDEX_KEY={generate_key()}",
    ]


def main(argv: list[str]) -> int:
    prefix = argv[0] if argv else "SERVICE"
    print("\n".join(key_set_lines(prefix)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

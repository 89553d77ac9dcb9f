"""JSON Schema snapshots and the AsyncAPI catalogue, generated from the event classes.

`python -m shared.schemas [DIR]` (or `make schemas`) writes one `<type>.json` per event type
and version, plus `asyncapi.json`, into DIR (default `shared/schemas`). The snapshot test
compares the committed files with what the code generates: a changed schema under an
unchanged type name fails, which forces a version bump (a new `.vN+1` type and an upcaster).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from shared.events import LATEST, registry
from shared.events.base import Event
from shared.topics import events_topic


def event_schema(cls: type[Event]) -> dict[str, Any]:
    return cls.model_json_schema(mode="serialization")


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def asyncapi_document() -> dict[str, Any]:
    """An AsyncAPI 3 document: one channel per producer topic, one message per event type."""
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for cls in LATEST:
        topic = events_topic(cls.producer())
        name = cls.event_type.replace(".", "_")
        messages[name] = {
            "name": cls.event_type,
            "title": cls.__name__,
            "summary": (cls.model_fields["data"].annotation.__doc__ or "").strip().splitlines()[0]
            if cls.model_fields["data"].annotation
            else "",
            "contentType": "application/json",
            "payload": {"$ref": f"./{cls.event_type}.json"},
        }
        channel = channels.setdefault(
            topic.replace(".", "_"),
            {"address": topic, "messages": {}, "bindings": {"kafka": {"topic": topic}}},
        )
        channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}
        operations.setdefault(
            f"publish_{cls.producer()}",
            {"action": "send", "channel": {"$ref": f"#/channels/{topic.replace('.', '_')}"}},
        )
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Jiuzhu events",
            "version": "1",
            "description": "Every event type in Jiuzhu (generated from shared/events; do not edit).",
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def expected_files() -> dict[str, str]:
    files = {f"{t}.json": render(event_schema(cls)) for t, cls in registry().types.items()}
    files["asyncapi.json"] = render(asyncapi_document())
    return files


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in expected_files().items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def main(argv: list[str]) -> int:
    directory = Path(argv[1]) if len(argv) > 1 else Path("shared/schemas")
    for path in write(directory):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

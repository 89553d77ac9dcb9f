"""The event envelope, the registry of event types, and the one way to read an event.

Naming: an event's `type` is `<producer>.<noun>_<past_verb>.v<N>`, for example
`eligibility.application_submitted.v1`. The version is part of the type string, so a type
string never changes meaning: a breaking change is a new `.vN+1` type plus an upcaster from
`.vN`, and the old class moves to `shared/events/<producer>_legacy.py`.

The producer is the first segment of the type; it is also the envelope's `source` and picks the
topic (`<producer>.events`). The `subject` is the aggregate id and the Kafka key, so all events
of one aggregate stay in order on one partition.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Self
from uuid import UUID, uuid4

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)

TYPE_PATTERN = re.compile(r"^(?P<producer>[a-z]+)\.(?P<name>[a-z][a-z0-9_]*)\.v(?P<version>[1-9][0-9]*)$")

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns the JSON object of an event of one type into the JSON object of the next version.

It receives the whole envelope (a fresh dict it may change) and must set the new `type`.
"""


class EventData(BaseModel):
    """Base of every event payload. Unknown fields are ignored so that adding an optional field
    stays within a version (consumers built before the field tolerate it)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Event(BaseModel):
    """The envelope (CloudEvents-like). Subclasses pin `type` to a `Literal` and `data` to a model.

    - `id`: UUID, the idempotency key consumers record in their inbox.
    - `time`: an aware instant, normalised to UTC.
    - `subject`: the aggregate id, used as the Kafka key.
    - `correlation_id`: the request id that started the chain (from the gateway's X-Request-ID).
    - `causation_id`: the id of the event (or request) that directly caused this one.
    - `traceparent`: the W3C trace context of the span that staged it (OpenTelemetry, when
      tracing is on), so a consumer's work joins the request's trace.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: UUID
    type: str
    source: str
    time: AwareDatetime
    subject: str = Field(min_length=1, max_length=200)
    correlation_id: str = Field(min_length=1, max_length=200)
    causation_id: str | None = Field(default=None, max_length=200)
    traceparent: str | None = Field(default=None, max_length=128)
    data: EventData

    event_type: ClassVar[str]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        field = cls.model_fields["type"]
        if field.default is None or not isinstance(field.default, str):
            return  # an abstract intermediate class
        match = TYPE_PATTERN.match(field.default)
        if match is None:
            raise TypeError(f"{cls.__name__}: event type {field.default!r} does not match {TYPE_PATTERN.pattern}")
        cls.event_type = field.default

    @field_validator("time")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @classmethod
    def producer(cls) -> str:
        return cls.event_type.split(".", 1)[0]

    @classmethod
    def version(cls) -> int:
        return int(cls.event_type.rsplit(".v", 1)[1])

    @classmethod
    def create(
        cls,
        data: EventData,
        *,
        subject: str,
        correlation_id: str,
        now: datetime,
        causation_id: str | None = None,
        event_id: UUID | None = None,
    ) -> Self:
        """Build an event. Pure: the caller passes the clock reading (`now`)."""
        return cls(
            id=event_id or uuid4(),
            type=cls.event_type,
            source=cls.producer(),
            time=now,
            subject=subject,
            correlation_id=correlation_id,
            causation_id=causation_id,
            data=data,
        )

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")


class EventParseError(Exception):
    """The one error raised for bytes that are not a known, valid event.

    `reason` is one of `malformed_json`, `not_an_object`, `unknown_type`, `invalid_payload`,
    `upcast_failed`. Consumers park such messages on the DLQ with this text.
    """

    def __init__(self, reason: str, message: str, *, event_type: str | None = None) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.event_type = event_type


class EventRegistry:
    """The known event types (latest versions) and the upcasters for older versions."""

    def __init__(
        self,
        event_classes: Iterable[type[Event]],
        upcasters: Mapping[str, Upcaster] | None = None,
    ) -> None:
        classes = tuple(event_classes)
        if not classes:
            raise ValueError("an event registry needs at least one event class")
        self._classes: dict[str, type[Event]] = {}
        for cls in classes:
            if cls.event_type in self._classes:
                raise ValueError(f"event type {cls.event_type} registered twice")
            self._classes[cls.event_type] = cls
        self._upcasters = dict(upcasters or {})
        overlap = set(self._upcasters) & set(self._classes)
        if overlap:
            raise ValueError(f"upcasters registered for latest types: {sorted(overlap)}")
        union: Any = classes[0] if len(classes) == 1 else _union(classes)
        self._adapter: TypeAdapter[Event] = TypeAdapter(union)

    @property
    def types(self) -> Mapping[str, type[Event]]:
        return self._classes

    @property
    def legacy_types(self) -> frozenset[str]:
        return frozenset(self._upcasters)

    def upcast(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Apply upcasters until the object's type is a latest version."""
        seen: set[str] = set()
        while (event_type := obj.get("type")) in self._upcasters:
            assert isinstance(event_type, str)
            if event_type in seen:
                raise EventParseError("upcast_failed", f"upcaster loop at {event_type}", event_type=event_type)
            seen.add(event_type)
            try:
                obj = self._upcasters[event_type](dict(obj))
            except Exception as exc:  # an upcaster bug or data it cannot handle
                raise EventParseError("upcast_failed", f"{event_type}: {exc}", event_type=event_type) from exc
        return obj

    def parse(self, raw: bytes | str) -> Event:
        """Decode JSON, upcast to the latest version, validate against the union of known types."""
        try:  # the common case, a valid event of a latest version: parsed and validated in one pass
            return self._adapter.validate_json(raw)
        except ValidationError:
            pass  # a legacy version, an unknown type or a bad payload: the careful path says which
        try:
            obj = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise EventParseError("malformed_json", str(exc)) from exc
        if not isinstance(obj, dict):
            raise EventParseError("not_an_object", f"expected a JSON object, got {type(obj).__name__}")
        obj = self.upcast(obj)
        event_type = obj.get("type")
        if event_type not in self._classes:
            raise EventParseError("unknown_type", f"unknown event type {event_type!r}", event_type=str(event_type))
        try:
            return self._adapter.validate_python(obj)
        except ValidationError as exc:
            errors = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)
            )
            raise EventParseError("invalid_payload", errors, event_type=str(event_type)) from exc


def _union(classes: tuple[type[Event], ...]) -> Any:
    from typing import Annotated, Union

    return Annotated[Union[classes], Field(discriminator="type")]  # noqa: UP007 (runtime-built union)

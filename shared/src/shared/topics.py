"""Kafka topic names: one `<producer>.events` topic per producing service, keyed by aggregate id.

A message that cannot be parsed or keeps failing in a consumer is parked on `<topic>.dlq`.
"""

from __future__ import annotations

from typing import Final

ELIGIBILITY_EVENTS: Final = "eligibility.events"
VERIFICATION_EVENTS: Final = "verification.events"
PAYMENT_EVENTS: Final = "payment.events"
MONITORING_EVENTS: Final = "monitoring.events"
PROCUREMENT_EVENTS: Final = "procurement.events"

ALL_EVENT_TOPICS: Final = (
    ELIGIBILITY_EVENTS,
    VERIFICATION_EVENTS,
    PAYMENT_EVENTS,
    MONITORING_EVENTS,
    PROCUREMENT_EVENTS,
)

DLQ_SUFFIX: Final = ".dlq"


def events_topic(producer: str) -> str:
    """The events topic of a producing service (`eligibility` -> `eligibility.events`)."""
    return f"{producer}.events"


def dlq_topic(topic: str) -> str:
    """The dead-letter topic for a topic (`eligibility.events` -> `eligibility.events.dlq`)."""
    return f"{topic}{DLQ_SUFFIX}"

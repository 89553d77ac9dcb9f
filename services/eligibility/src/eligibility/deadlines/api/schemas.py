"""Response models for deadlines."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from eligibility.deadlines.domain.calendar import Deadline


class DeadlineRead(BaseModel):
    step: str
    start: date
    due: date = Field(description="The last day on which the step is on time (overdue from the next day)")
    amount: int
    unit: str
    start_event: str
    source: str
    basis: str
    provisional: bool = Field(
        description="Counted past the last loaded State Council notice (weekends and fixed-date holidays "
        "only): the date may move when that year's notice is loaded"
    )


def deadline_read(deadline: Deadline) -> DeadlineRead:
    clock = deadline.clock
    return DeadlineRead(
        step=deadline.step.value,
        start=deadline.start,
        due=deadline.due,
        amount=clock.amount,
        unit=clock.unit,
        start_event=clock.start_event,
        source=clock.source,
        basis=clock.basis,
        provisional=deadline.provisional,
    )

"""Named fault points for crash tests: a test arms a point; the code under test, when it
reaches the point, dies there the way a killed process would (nothing after it runs).

Production wiring passes `NO_FAULTS`, whose `check` does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class SimulatedCrash(BaseException):
    """Raised at an armed fault point. A BaseException so no `except Exception` swallows it,
    just as no handler runs when a process is killed."""


@dataclass
class Faults:
    armed: set[str] = field(default_factory=set)
    fired: list[str] = field(default_factory=list)

    def arm(self, point: str) -> None:
        self.armed.add(point)

    def check(self, point: str) -> None:
        if point in self.armed:
            self.armed.discard(point)  # fires once, like a single crash
            self.fired.append(point)
            raise SimulatedCrash(point)


class _NoFaults(Faults):
    """The production value: never fires, and refuses to be armed (it is shared)."""

    def arm(self, point: str) -> None:
        raise RuntimeError("NO_FAULTS is shared and cannot be armed; pass a Faults() of your own")

    def check(self, point: str) -> None:
        return None


NO_FAULTS: Faults = _NoFaults()

RELAY_AFTER_PUBLISH = "relay.after_publish"
CONSUMER_AFTER_DB_COMMIT = "consumer.after_db_commit"

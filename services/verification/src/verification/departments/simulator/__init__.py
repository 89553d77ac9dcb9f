"""A simulator of the twelve departments the checking centre asks (DOMAIN-RULES §6.2), each with
its own API shape, deterministic records per (seed, resident ID) and configurable faults.

Run it as its own process: ``python -m verification.departments.simulator --port 18600``."""

from verification.departments.simulator.app import SimulatorConfig, SimulatorConfigUpdate, create_simulator_app

__all__ = ["SimulatorConfig", "SimulatorConfigUpdate", "create_simulator_app"]

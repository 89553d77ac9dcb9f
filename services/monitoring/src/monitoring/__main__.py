"""`python -m monitoring api|worker|migrate`."""

from monitoring.main import DEFINITION

DEFINITION.cli()()

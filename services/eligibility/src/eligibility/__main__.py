"""`python -m eligibility api|worker|migrate`."""

from eligibility.main import DEFINITION

DEFINITION.cli()()

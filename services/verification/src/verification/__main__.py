"""`python -m verification api|worker|migrate`."""

from verification.main import DEFINITION

DEFINITION.cli()()

"""`python -m procurement api|worker|migrate`."""

from procurement.main import DEFINITION

DEFINITION.cli()()

"""`python -m payment api|worker|migrate`."""

from payment.main import DEFINITION

DEFINITION.cli()()

"""`python -m payment api|worker|migrate|verify-audit|payroll`."""

from payment.cli import add_commands
from payment.main import DEFINITION

app = DEFINITION.cli()
add_commands(app, DEFINITION)
app()

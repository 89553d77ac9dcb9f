"""`python -m monitoring api|worker|migrate|recompute-risk`."""

from monitoring.cli import add_commands
from monitoring.main import DEFINITION

app = DEFINITION.cli()
add_commands(app, DEFINITION)
app()

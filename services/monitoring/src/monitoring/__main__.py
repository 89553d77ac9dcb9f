"""`python -m monitoring api|worker|migrate|recompute-risk`."""

from monitoring.cli import add_commands
from monitoring.main import DEFINITION


def main() -> None:
    app = DEFINITION.cli()
    add_commands(app, DEFINITION)
    app()


if __name__ == "__main__":
    main()

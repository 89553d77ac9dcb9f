"""`python -m payment api|worker|migrate|verify-audit|payroll`."""

from payment.cli import add_commands
from payment.main import DEFINITION


def main() -> None:
    app = DEFINITION.cli()
    add_commands(app, DEFINITION)
    app()


if __name__ == "__main__":
    main()

"""`python -m procurement api|worker|migrate`."""

from procurement.main import DEFINITION


def main() -> None:
    DEFINITION.cli()()


if __name__ == "__main__":
    main()

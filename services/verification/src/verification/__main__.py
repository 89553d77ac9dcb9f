"""`python -m verification api|worker|migrate`."""

from verification.main import DEFINITION


def main() -> None:
    DEFINITION.cli()()


if __name__ == "__main__":
    main()

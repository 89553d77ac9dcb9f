"""`python -m eligibility api|worker|migrate`."""

from eligibility.main import DEFINITION


def main() -> None:
    DEFINITION.cli()()


if __name__ == "__main__":
    main()

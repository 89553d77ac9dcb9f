"""`python -m tests.chaos`: see `tests/chaos/harness.py`."""

from tests.chaos.harness import main

raise SystemExit(main())

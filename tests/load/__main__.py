"""`python -m tests.load`: see `tests/load/harness.py`."""

from tests.load.harness import main

raise SystemExit(main())

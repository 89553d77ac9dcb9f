"""Each Alembic history (five services and the gateway) is one line from base to head, and its
files are named `<date>-<HHMM>_<what it does>.py`, so that sorting them by name gives the order
they run in (their `down_revision` chain). Alembic finds revisions by content, not by file
name: the names are for the reader."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parents[2]
HISTORIES = sorted([*ROOT.glob("services/*/alembic.ini"), ROOT / "gateway" / "alembic.ini"])
FILE_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}-\d{4}_[a-z0-9]+(?:_[a-z0-9]+)*\.py$")


def test_every_history_is_found() -> None:
    names = {p.parent.name for p in HISTORIES}
    assert names == {"eligibility", "verification", "payment", "monitoring", "procurement", "gateway"}


@pytest.mark.parametrize("ini", HISTORIES, ids=[p.parent.name for p in HISTORIES])
def test_files_sort_in_the_order_they_run(ini: Path) -> None:
    script = ScriptDirectory.from_config(Config(str(ini)))
    assert len(script.get_heads()) == 1, "one head: the history is a line"
    chain = list(reversed(list(script.walk_revisions())))  # base first
    assert chain[0].down_revision is None
    files = [Path(str(revision.path)).name for revision in chain]

    assert files == sorted(files)
    for name in files:
        assert FILE_NAME.match(name), f"{ini.parent.name}: {name} is not <date>-<HHMM>_<slug>.py"
    on_disk = sorted(p.name for p in (ini.parent / "migrations" / "versions").glob("*.py"))
    assert files == on_disk, "every file in versions/ is a revision of the chain"

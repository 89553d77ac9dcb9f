"""A bank-file helper process: `python -m payment.payroll.file_part` reads a pickled
`bankfile.PartJob` on its standard input (from the payment process that started it, never
from anyone else), writes that part of the run's file and answers JSON on its standard output
(`bankfile.write_part`)."""

from __future__ import annotations

import gc
import json
import pickle
import sys


def main() -> None:
    from payment.payroll.bankfile import PartJob, write_part

    # What the imports made lives as long as the process: no collection walks it again. The
    # part's pages are short-lived objects; a full collection over the interpreter's modules
    # every so often had cost a third of the time spent making a line's transfer.
    gc.freeze()
    job = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 (the parent process's own job)
    assert isinstance(job, PartJob)
    sys.stdout.write(json.dumps(write_part(job)))


if __name__ == "__main__":
    main()

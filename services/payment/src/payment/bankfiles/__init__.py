"""Bank files (银行代发文件): the batch file a payroll run sends to the bank (ISO 20022 pain.001 or a
plain 代发 CSV) and the result files that come back (pain.002, camt.054, CSV), plus a bank
simulator for tests and the demo.

- ``domain/``: the values (``BatchHeader``, ``Transfer``, ``TransferResult``,
  ``ResultFileSummary``), the reason-code mapping and the errors; pure.
- ``adapters/``: streaming writers and readers of the formats (``pain001``, ``csv_daifa``,
  ``results``) and ``bank_simulator``. They touch only the stream they are given.
"""

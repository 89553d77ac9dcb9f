"""Bank files (银行代发文件): the batch file a payroll run sends to the bank (ISO 20022 pain.001 or a
plain 代发 CSV) and the result files that come back (pain.002, camt.054, CSV), plus a bank
simulator for tests and the demo.

- ``domain/``: the values (``BatchHeader``, ``Transfer``, ``TransferResult``,
  ``ResultFileSummary``), the reason-code mapping and the errors; pure.
- ``adapters/``: streaming writers and readers of the formats (``pain001``, ``csv_daifa``,
  ``results``) and ``bank_simulator``. They touch only the stream they are given.

How a payroll run uses them (the caller owns the query, the files and the transaction)::

    count, total_fen = <SELECT count(*), sum(amount_fen) of the run's instructions>
    header = BatchHeader(run_id=..., message_id=..., created_at=now, debtor=bureau,
                         requested_execution_date=..., transaction_count=count,
                         control_sum_fen=total_fen)
    with open(path, "wb") as out:
        write_pain001(header, <the same instructions streamed as Transfer>, out)
        # BatchTotalsMismatch here means the stream changed under the query: discard the file

    summary, results = read_results(result_path, "pain002")   # header checked now
    # match summary.original_message_id (and run_id for pain.002) to the batch sent, then
    for result in results:            # ResultFileInvalid may still come, at the latest at the
        <apply result>                # end (totals): apply in one transaction, commit after

A result file may repeat an instruction (a later report) or report only some of them; applying
results idempotently and checking that every instruction is eventually accounted for is the
ledger's job.
"""

"""主动发现: a grassroots worker (网格员、村居干部) or the 12349 hotline reports a household in
hardship before it applies. The report is a task in the town's alert list; when the household's
application is accepted (eligibility's `application_accepted` names the reported person), the
task closes as delivered and the register counts the household as found by monitoring (检出率)."""

"""Statistics (统计) and the managers' dashboard: coverage by category and area, the month's
approvals and terminations (the 低保 zero-report), 集中供养率, 检出率, alerts and their time to
disposition. Aggregates only: counts and rates, never a household or a person."""

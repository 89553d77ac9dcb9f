"""Bulk lists matched against the register (批量比对): a department's list of deaths (公安户籍注销、
殡葬火化) checked in one pass against every person of the register with an active case, each
match an integrity finding with a review request to eligibility."""

"""部门信息推送: the inter-department exchange. Departments push change notices about people
(death, hukou moved, property registered…) one at a time or as an NDJSON batch; verification
stores each once per (sender, message id), encrypted, and announces it as
`verification.department_notice_received` (subject: the person reference) for eligibility and
monitoring."""

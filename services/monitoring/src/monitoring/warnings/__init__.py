"""Early warning and integrity checks (预警与监督检查): department notices matched to the register's
people become risk signals; warning rules as data score them into alerts, each a task for the
town with a deadline that closes only with one of the dispositions of §5.4; a recipient reported
dead is an integrity finding and a review request to eligibility; spot checks (双随机) draw cases
reproducibly from a recorded seed."""

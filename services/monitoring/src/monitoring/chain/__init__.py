"""一户一条救助链: each household's history of assistance in one place — its applications, the
cases of every category opened and ended, temporary grants, payments, and each alert raised and
how it was disposed of — and the household's categories now (the six of the register: 低保,
特困, 低保边缘, 刚性支出, 临时救助 in the last 12 months; 防返贫 once its list is imported)."""

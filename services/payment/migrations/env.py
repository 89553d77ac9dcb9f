from jiuzhu_platform.migrations import run_env
from payment.main import DEFINITION  # every feature's tables

run_env(DEFINITION.metadata)

from eligibility.main import DEFINITION
from jiuzhu_platform.migrations import run_env

run_env(DEFINITION.metadata)

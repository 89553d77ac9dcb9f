from jiuzhu_platform.migrations import run_env
from verification.main import DEFINITION  # every feature's tables (consents, checks, notices)

run_env(DEFINITION.metadata)

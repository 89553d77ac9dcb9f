from jiuzhu_platform.migrations import run_env
from verification.adapters.orm import metadata
from verification.checks.adapters import orm as checks_orm  # noqa: F401 (the check tables join `metadata`)

run_env(metadata)

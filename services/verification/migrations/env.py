from jiuzhu_platform.migrations import run_env
from verification.adapters.orm import metadata

run_env(metadata)

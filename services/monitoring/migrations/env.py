from jiuzhu_platform.migrations import run_env
from monitoring.adapters.orm import metadata

run_env(metadata)

from jiuzhu_platform.migrations import run_env
from procurement.adapters.orm import metadata

run_env(metadata)

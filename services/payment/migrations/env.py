from jiuzhu_platform.migrations import run_env
from payment.adapters.orm import metadata

run_env(metadata)

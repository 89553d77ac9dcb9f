from gateway.identity.adapters.orm import metadata
from jiuzhu_platform.migrations import run_env

run_env(metadata)

from federa.shared.migrations import run_env
from federa.statistics.storage.tables import metadata

run_env(metadata)

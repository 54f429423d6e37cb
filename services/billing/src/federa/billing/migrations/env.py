from federa.billing.storage.tables import metadata
from federa.shared.migrations import run_env

run_env(metadata)

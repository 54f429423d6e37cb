from federa.billing.storage import (  # noqa: F401  (add their tables to metadata)
    documents_tables,
    settlement_tables,
    welcome_tables,
)
from federa.billing.storage.tables import metadata
from federa.shared.migrations import run_env

run_env(metadata)

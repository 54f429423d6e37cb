from federa.billing.main import run

run()

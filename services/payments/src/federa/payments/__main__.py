from federa.payments.main import run

run()

from federa.communications.main import run

run()

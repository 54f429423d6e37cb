from federa.statistics.main import run

run()

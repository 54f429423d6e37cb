from federa.members.main import run

run()

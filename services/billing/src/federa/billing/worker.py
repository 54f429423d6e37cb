"""`python -m federa.billing.worker`: a billing worker process (see `runs/worker.py`)."""

from federa.billing.runs.worker import main

if __name__ == "__main__":
    main()

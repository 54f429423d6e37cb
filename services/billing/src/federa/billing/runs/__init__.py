"""Billing runs: planning, the chunk work queue, chunk processing, run state and queries."""

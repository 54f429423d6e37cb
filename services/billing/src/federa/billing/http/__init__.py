"""Billing's HTTP API under /v1."""

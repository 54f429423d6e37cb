"""Reliable messaging: outbox, relay, inbox, consumer dispatch, topology, dead letters."""

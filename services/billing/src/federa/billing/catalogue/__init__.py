"""The catalogue around the domain: storage, events and the changes staff make."""

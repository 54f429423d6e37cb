"""Pure rules of the statistics: definitions over facts, no I/O."""

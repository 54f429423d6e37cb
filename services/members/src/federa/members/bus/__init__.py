"""What the members service does with the events it consumes."""

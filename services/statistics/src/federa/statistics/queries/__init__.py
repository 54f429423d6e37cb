"""Reading the read models: SQL for what scales, the pure rules for the rest."""

"""Read models fed by events; each projector is idempotent and order-safe."""

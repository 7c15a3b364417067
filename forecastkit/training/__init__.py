"""Training: the only caller of ``model.fit``, its callbacks and seeding (no pandas)."""

"""API keys: created once, stored hashed, scoped, revocable."""

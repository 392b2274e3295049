"""The request gate: an org's IP allowlist and the rate limits, checked once a caller is authenticated."""

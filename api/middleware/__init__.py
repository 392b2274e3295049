"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs latency on every request)."""

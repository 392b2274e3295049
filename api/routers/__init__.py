"""One thin router per domain; each handler parses, calls a service, shapes the response."""

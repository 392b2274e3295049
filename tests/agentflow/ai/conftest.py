"""Fake providers on loopback ports, shared by the provider and AI-node tests."""

from tests.fakes.fixtures import case, cases, credentials, fake_apis, router

__all__ = ["case", "cases", "credentials", "fake_apis", "router"]

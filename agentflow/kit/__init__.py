"""Shared building blocks: model base, repository base, pagination, token helpers."""

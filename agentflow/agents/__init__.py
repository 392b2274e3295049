"""Agents: drafts, validation on save, versions (publish, rollback, diff), export and import."""

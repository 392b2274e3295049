"""Executions: triggering runs, reading their records, cancel, approve, retry."""

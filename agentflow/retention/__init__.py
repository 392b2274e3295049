"""Retention: how long an org keeps its executions (policy.py) and the daily purge past it (purge.py)."""

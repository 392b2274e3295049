"""Data exports: a file of an org's executions (or audit log) over a date range, made by a Prefect flow run
(flows/run_export.py) and downloaded through a link that expires."""

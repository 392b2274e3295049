"""Credentials and org secrets: values in Vault (KV v2) through one SecretStore, metadata in Postgres."""

"""SSO and directory sync through WorkOS (docs/security.md)."""

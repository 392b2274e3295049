"""Authentication: passwords, access tokens, refresh-token families, login throttling, auth subjects."""

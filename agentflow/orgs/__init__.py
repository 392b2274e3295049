"""Organizations (the tenant) and their memberships."""

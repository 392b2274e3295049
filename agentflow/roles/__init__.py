"""Custom roles: an organization's own named sets of permissions."""

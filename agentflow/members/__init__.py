"""Org members: listing, invitations, role changes, removal (with last-owner protection)."""

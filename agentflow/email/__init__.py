"""Outgoing email through a pluggable sender: console in development, SMTP when configured."""

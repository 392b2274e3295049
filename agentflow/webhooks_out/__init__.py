"""Outbound webhooks: org endpoints, signed (Standard Webhooks) deliveries of org events, retried."""

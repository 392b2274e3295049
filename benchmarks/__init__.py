"""Reproducible performance scripts: each prints figures as ratios against a baseline run alongside."""

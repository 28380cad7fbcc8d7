"""Maintenance scripts: generated parts of the README."""

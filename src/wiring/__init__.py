"""Composition roots and Lambda runtime support: what the entry points in `handlers` stand on."""

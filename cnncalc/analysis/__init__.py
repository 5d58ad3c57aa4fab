"""Passes over a propagated Trace: each reads the facts layers state and names no kind."""

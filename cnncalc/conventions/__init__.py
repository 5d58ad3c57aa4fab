"""Counting conventions: one module per tool whose numbers cnncalc reproduces.

`registry.py` lists them; each preset is a table of per-kind rules over a node's facts.
"""

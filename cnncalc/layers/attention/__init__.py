"""Attention, transformer layers, their feed-forward part and the matrix product.

Nothing is imported here: a run imports only the modules of the kinds it uses
(`cnncalc.layers.layer_class`)."""

"""Layers that move, cut, pad, resize or drop values without weighted products.

Nothing is imported here: a run imports only the modules of the kinds it uses
(`cnncalc.layers.layer_class`)."""

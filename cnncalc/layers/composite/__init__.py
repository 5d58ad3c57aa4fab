"""Composites: layers made of other layers (residual, parallel).

Nothing is imported here: a run imports only the modules of the kinds it uses
(`cnncalc.layers.layer_class`)."""

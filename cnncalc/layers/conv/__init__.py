"""Convolutions: 1-, 2- and 3-D, transposed, depthwise and separable.

Nothing is imported here: a run imports only the modules of the kinds it uses
(`cnncalc.layers.layer_class`)."""

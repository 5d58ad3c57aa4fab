"""Element-wise activations, as layers and as `activation:` on other kinds.

Nothing is imported here: a run imports only the modules of the kinds it uses
(`cnncalc.layers.layer_class`)."""

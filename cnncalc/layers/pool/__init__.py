"""Pooling: windowed, global and adaptive, and the mean over tokens.

Nothing is imported here: a run imports only the modules of the kinds it uses
(`cnncalc.layers.layer_class`)."""

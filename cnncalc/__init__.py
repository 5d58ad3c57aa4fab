"""cnncalc: exact shapes, parameters and MACs of neural networks, from a YAML spec."""

__version__ = "0.1.0"

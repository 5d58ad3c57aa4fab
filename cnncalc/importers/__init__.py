"""Specs written from models people already have (`cnncalc import`)."""

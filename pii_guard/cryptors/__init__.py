"""Cryptors, one module each; base.py holds the protocol they share."""

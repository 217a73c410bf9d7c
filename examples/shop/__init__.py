"""A small shop: customers and orders (pii_guard models) and a clinic (AMSDAL-style models)."""

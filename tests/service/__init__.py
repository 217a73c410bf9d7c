"""Tests of `pii-guard serve`: the real server in a subprocess, with the local KMS behind it."""

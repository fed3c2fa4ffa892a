"""The tiny test area's fixtures, shared with the engine tests (one definition, in tests/engine/conftest.py)."""

from tests.engine.conftest import tiny_dir, tiny_layers, tiny_rules, tiny_rules_data  # noqa: F401

"""Command implementations behind ``geozones.cli``."""

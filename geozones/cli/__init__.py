"""The ``geozones`` command line: one argparse tree over the services."""

from geozones.cli.main import main

__all__ = ["main"]

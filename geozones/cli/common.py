"""What the commands share: the catalog named by the arguments."""

from __future__ import annotations

import argparse

from geozones.services.catalog import FileCatalog


def catalog(args: argparse.Namespace) -> FileCatalog:
    """The catalog of ``--rules`` (else the default rule set) and ``--data-dir``."""
    return FileCatalog(getattr(args, "rules", None), getattr(args, "data_dir", None))

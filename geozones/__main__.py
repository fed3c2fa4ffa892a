"""``python -m geozones`` runs the command line."""

import sys

from geozones.cli import main

sys.exit(main())

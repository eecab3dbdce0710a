"""``python -m mgg_geo``: the same command line as ``mgg-geo``."""

import sys

from mgg_geo.cli import main

sys.exit(main())

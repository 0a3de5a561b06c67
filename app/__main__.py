"""`python -m app` runs the same entry point as the `sweedle` command."""

import sys

from app.core.cli import main

sys.exit(main())

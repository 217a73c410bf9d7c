"""`python -m flake8_pii` runs the `pii-guard` command."""

import sys

from flake8_pii.cli import main

sys.exit(main())

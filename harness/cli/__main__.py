"""`python -m harness.cli`: the same as `copr-harness`."""

import sys

from harness.cli.app import main

sys.exit(main())

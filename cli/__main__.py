"""`python -m cli` runs the `autodiff` command."""

import sys

from . import main

sys.exit(main())

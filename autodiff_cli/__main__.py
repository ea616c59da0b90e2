"""`python -m autodiff_cli` runs the `autodiff` command."""

import sys

try:
    from . import main  # the imports, too, may meet a Ctrl-C

    code = main()
except KeyboardInterrupt:
    print("autodiff: interrupted.", file=sys.stderr)
    code = 130
sys.exit(code)

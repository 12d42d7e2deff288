"""`python -m nnkb`: the same command as `nnkb`."""

import sys

from .cli import main

sys.exit(main())

"""``python -m chiffres.cli``: the same as the ``chiffres`` command."""

import sys

from chiffres.cli import main

sys.exit(main())

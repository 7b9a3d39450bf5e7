"""``python -m fedi.cli``: the same as the ``chiffres`` command."""

import sys

from fedi.cli import main

sys.exit(main())

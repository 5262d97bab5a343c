"""``python -m resandi_core.cli``: the ``resandi`` command."""

import sys

from .main import main

sys.exit(main())

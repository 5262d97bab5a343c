"""``python -m resandi_core.cli``: the ``resandi`` command."""

import sys

from .main import main

if __name__ == "__main__":  # importing this module (e.g. walking the package) must not run the command
    sys.exit(main())

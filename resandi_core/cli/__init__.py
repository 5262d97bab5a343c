"""The ``resandi`` command line: thin argument parsing over the core, one module per command group.

Owns: the parser (:mod:`.main`), the one progress driver (:mod:`.progress`) and
the commands: ``classify``/``formats``/``convert`` (:mod:`.classify`), ``link``
(:mod:`.link`), ``models``/``copy-model``/``init-model`` (:mod:`.models`),
``generate``/``train``/``evaluate``/``experiment`` (:mod:`.train`). May import
anything in the core; nothing in the core (nor the desktop app) imports it.
"""

from .main import main

__all__ = ["main"]

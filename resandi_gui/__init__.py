"""ResAnDi desktop app (PySide6 + pyqtgraph) over :mod:`resandi_core`."""

"""Bundled data of ResAnDi (installed as the import package ``resandi_resources``).

``models/`` holds bundled model folders; found at run time with
:func:`importlib.resources.files`, so they work from a source checkout, a wheel
and a frozen app alike.
"""

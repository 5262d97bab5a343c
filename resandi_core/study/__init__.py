"""A study: folders of track files and movies by condition, classified into one batch folder.

:mod:`.conditions` finds the files and their conditions, :mod:`.run` classifies
them (resumably, through the same steps as ``resandi classify``), :mod:`.cache`
keeps each finished file, :mod:`.summary` counts class fractions with intervals
and pools ensemble MSDs, :mod:`.outputs` writes the folder, whose files and
columns :mod:`.layout` names (the report reads them).

May import: :mod:`resandi_core.batch`, :mod:`resandi_core.classify`,
:mod:`resandi_core.msd`, :mod:`resandi_core.io`, the model spec and the base modules.
"""

"""Readers and writers of track files, one module per format family.

- :func:`read_tracks`: any supported file -> :class:`~resandi_core.tracks.Tracks`
  (format detected from the content, see :mod:`.detect`);
- :func:`list_formats`: the formats, for help texts and file dialogs;
- :func:`write_tracks_trackpy_csv`, :func:`write_tracks_trackmate_csv`: tracks
  out for trackpy and TrackMate users;
- :func:`read_tracks_csv`: the first version's CSV reader, kept as an alias.

Owns every file the product reads or writes except models: track formats
(``tables`` for CSV/TSV/Excel and trackpy CSV, ``trackmate_csv``,
``trackmate_xml``, ``hdf5``, ``andi_txt``, ``arrays`` for NumPy; ``detect`` and
``read`` choose among them), ``columns`` (column-name guessing), ``assemble``
(checks shared by every reader), ``writers`` (tracks out), ``results``
(classification results out), ``stacks`` (TIFF movies), ``planes`` (which
channel and z of a movie) and ``inputs`` (files and folders given -> the files
to read, by suffix).

May import: the base modules (errors, atomic, tracks, units); never the model,
linking, classification, training or the command line.
"""

from .csv_tracks import read_tracks_csv
from .detect import FormatInfo, detect_format, list_formats
from .read import read_tracks
from .writers import write_tracks_trackmate_csv, write_tracks_trackpy_csv

__all__ = [
    "FormatInfo",
    "detect_format",
    "list_formats",
    "read_tracks",
    "read_tracks_csv",
    "write_tracks_trackmate_csv",
    "write_tracks_trackpy_csv",
]

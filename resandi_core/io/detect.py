"""Which format a tracks file is in, from its first bytes (and its name where they do not tell).

Rules, in order (content wins over the extension):

1. Binary signatures: HDF5 (``\\x89HDF``) -> ``hdf5``; NumPy (``\\x93NUMPY``) ->
   ``numpy``; a zip archive -> ``numpy`` if it holds ``.npy`` members (``.npz``),
   ``table`` if it is an Excel workbook (``.xlsx``). Images, PDFs, TIFF stacks,
   old ``.xls`` and other binary files are refused with a message saying what
   they are.
2. Text starting with ``<``: ``trackmate-xml`` when the root element is
   ``<TrackMate>`` (a session) or ``<Tracks>`` (TrackMate's "Export tracks to
   XML"); other XML is refused.
3. A first line naming TrackMate features (``TRACK_ID`` with ``POSITION_X``, or
   TrackMate's edge/track tables) -> ``trackmate-csv``.
4. Lines of numbers separated by ``;`` whose first value is 1, 2 or 3 and no
   header -> ``andi-txt``.
5. Any other text -> ``table`` (trackpy CSV, generic CSV/TSV).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import TrackFormatError


@dataclass(frozen=True)
class FormatInfo:
    """A readable format, for help texts and file dialogs.

    Attributes
    ----------
    name : str
        What ``read_tracks(format=...)`` accepts.
    extensions : tuple of str
        Usual file name endings, with the dot.
    description : str
        One line for a user.
    """

    name: str
    extensions: tuple[str, ...]
    description: str


FORMATS: tuple[FormatInfo, ...] = (
    FormatInfo(
        "table",
        (".csv", ".tsv", ".txt", ".dat", ".xlsx", ".xlsm"),
        "track table: trackpy CSV (particle, frame, x, y) or any CSV/TSV/Excel table with track, frame, "
        "x, y columns (names guessed, or mapped; units in headers such as 'x (µm)')",
    ),
    FormatInfo(
        "trackmate-csv",
        (".csv",),
        "TrackMate spot table (TrackMate v7+ with 4 header rows, or older with 1); spots without track are dropped and counted",
    ),
    FormatInfo(
        "trackmate-xml",
        (".xml",),
        "TrackMate session XML (filtered tracks only; branching tracks cut into linear segments) "
        "or TrackMate's 'Export tracks to XML'",
    ),
    FormatInfo("hdf5", (".h5", ".hdf5"), "trackpy / pandas HDF5 table (DataFrame.to_hdf, trackpy PandasHDFStore)"),
    FormatInfo("andi-txt", (".txt",), "AnDi challenge trajectories: one per line, 'dim;x1;...;xT;y1;...;yT' (2-D lines read)"),
    FormatInfo("numpy", (".npy", ".npz"), "NumPy array of shape (tracks, frames, 2); NaN marks a missing point"),
)

#: Other names accepted for ``format=``.
FORMAT_ALIASES = {
    "csv": "table", "tsv": "table", "txt": "table", "xlsx": "table", "excel": "table",
    "trackpy": "table", "trackpy-csv": "table", "generic": "table",
    "h5": "hdf5", "hdf": "hdf5", "trackpy-hdf5": "hdf5",
    "xml": "trackmate-xml", "trackmate": "trackmate-xml",
    "trackmate-spots": "trackmate-csv",
    "andi": "andi-txt",
    "npy": "numpy", "npz": "numpy",
}

#: Signatures of files that are not tracks, with what to call them.
_NOT_TRACKS = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image (a movie? detect and link the particles first)"),
    (b"MM\x00*", "a TIFF image (a movie? detect and link the particles first)"),
    (b"II+\x00", "a BigTIFF image (a movie? detect and link the particles first)"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old-style Office file (.xls); save it as .xlsx or CSV"),
    (b"\x1f\x8b", "a gzip archive; unpack it first"),
    (b"7z\xbc\xaf", "a 7-zip archive; unpack it first"),
    (b"Rar!", "a RAR archive; unpack it first"),
    (b"\x00\x00\x00\x0cjP", "a JPEG 2000 image"),
)

#: Bytes read to decide.
HEAD_BYTES = 8192

_TRACKMATE_KEYS = ("POSITION_X", "SPOT_SOURCE_ID", "TRACK_DURATION", "NUMBER_SPOTS")
_ANDI_LINE = re.compile(r"^\s*[123](\.0*)?\s*;\s*[-+]?(\d|\.\d|nan|inf)[^a-zA-DF-Zf-z]*$", re.IGNORECASE)


def canonical_format(name: str) -> str:
    """The format's canonical name; raises for unknown names."""
    key = str(name).strip().lower().replace("_", "-")
    key = FORMAT_ALIASES.get(key, key)
    if key not in {f.name for f in FORMATS}:
        raise TrackFormatError(
            f"unknown format {name!r}",
            hint="use auto or one of " + ", ".join(f.name for f in FORMATS),
        )
    return key


def refuse_non_tracks(path: Path, head: bytes) -> None:
    """Raise a clear error for images, documents and archives, whatever their name."""
    for signature, what in _NOT_TRACKS:
        if head.startswith(signature):
            raise TrackFormatError(
                f"this is {what}, not a file of tracks (its name ends in {path.suffix or 'nothing'})",
                where=str(path),
                hint="choose the tracks exported by your tracker (CSV, TrackMate XML, HDF5...)",
            )


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        raise TrackFormatError(
            "a damaged zip file (an .xlsx or .npz that was not fully written?)",
            where=str(path),
            hint="save or copy the file again",
        ) from None
    if names and all(n.endswith(".npy") for n in names):
        return "numpy"
    if "xl/workbook.xml" in names:
        return "table"
    if any(n.endswith(".ods") or n == "content.xml" for n in names):
        raise TrackFormatError(
            "an OpenDocument spreadsheet (.ods), which is not supported",
            where=str(path),
            hint="save it as .xlsx or CSV",
        )
    raise TrackFormatError(
        "a zip archive that is neither an Excel workbook nor a NumPy .npz",
        where=str(path),
        hint="unpack it and open the tracks file inside",
    )


def _decode(head: bytes) -> str:
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:
            return head[: exc.start].decode("utf-8-sig")
        return head.decode("cp1252", errors="replace")


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line
    return ""


def detect_format(path: str | Path) -> str:
    """The format name of ``path`` by the rules of this module's docstring.

    Raises
    ------
    TrackFormatError
        Empty files, and files that are recognisably not tracks.
    """
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not head.strip():
        raise TrackFormatError("the file is empty", where=str(path), hint="export the tracks again")
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "hdf5"
    if head.startswith(b"\x93NUMPY"):
        return "numpy"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    refuse_non_tracks(path, head)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TrackFormatError(
            "UTF-16 text (as Excel's 'Unicode Text' writes), which is not read",
            where=str(path),
            hint="save the table as 'CSV UTF-8' or .xlsx",
        )
    if b"\x00" in head:
        raise TrackFormatError(
            "a binary file, not a table of tracks",
            where=str(path),
            hint="export the tracks as CSV, TrackMate XML, HDF5 or NumPy",
        )
    text = _decode(head)
    stripped = text.lstrip()
    if stripped.startswith("<"):
        root = re.search(r"<(?![?!])([A-Za-z_][\w.\-:]*)", stripped)
        if root and root.group(1) in ("TrackMate", "Tracks"):
            return "trackmate-xml"
        raise TrackFormatError(
            f"an XML file whose root is <{root.group(1) if root else '?'}>, not TrackMate's <TrackMate> or <Tracks>",
            where=str(path),
            hint="save the TrackMate session (File > Save) or use 'Export tracks to XML'",
        )
    first = _first_line(text)
    cells = {c.strip().strip('"').upper() for c in re.split(r"[,;\t|]", first)}
    if "TRACK_ID" in cells and any(k in cells for k in _TRACKMATE_KEYS):
        return "trackmate-csv"
    if _ANDI_LINE.match(first):
        return "andi-txt"
    return "table"


def list_formats() -> list[FormatInfo]:
    """The formats :func:`resandi_core.io.read_tracks` reads, for help texts and file dialogs."""
    return list(FORMATS)

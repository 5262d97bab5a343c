"""Reading microscopy movies (TIFF stacks) one frame at a time.

:class:`StackReader` opens a multi-page TIFF, an OME-TIFF or an ImageJ hyperstack
with tifffile and hands out 2-D frames, so a movie larger than memory can be
located frame by frame. It

- finds the time axis (``T``; else a generic page axis ``I``/``Q``; else ``Z`` when
  the file has no other stack axis) and picks one channel (``C``) and one z-plane
  (``Z``) where the file has them;
- reads uncompressed, contiguous data with one seek and read per frame (the layout
  ``tifffile.memmap`` maps) and anything else page by page through tifffile;
- turns RGB(A) frames into gray (ITU-R 601 luma, alpha dropped) unless a colour is
  chosen with ``channel``;
- takes the pixel size (µm) and frame interval (s) from ImageJ or OME metadata when
  the file has them, and leaves them None when it does not.

Frames are numbered as in the file (0-based) even when only a slice is selected,
so tracks line up with the movie.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import StackError
from ..units import length_in_um, time_in_s

log = logging.getLogger(__name__)

#: Luma weights of R, G, B (ITU-R BT.601), the gray that most viewers show.
RGB_TO_GRAY = np.array([0.299, 0.587, 0.114], dtype=np.float32)
#: Largest frame read, bytes (a 16-bit 16,000 x 16,000 px image is 0.5 GB).
MAX_FRAME_BYTES = 2**30

#: Axes tifffile may use for the frames of a plain multi-page file, in order of preference.
TIME_AXES = ("T", "I", "Q")

@dataclass(frozen=True)
class StackSpec:
    """What to read from a movie: everything a worker process needs to reopen it.

    Attributes
    ----------
    path : str
    channel : int or None
        Index along the file's ``C`` axis (or the RGB sample axis when there is no
        ``C`` axis); None where the file has a single channel.
    z : int or None
        Index along ``Z`` when ``Z`` is not the time axis; None where there is one plane.
    frames : tuple of (int or None, int or None), optional
        ``(start, stop)`` of the frames to use, Python slice rules (stop excluded,
        negative numbers count from the end).
    """

    path: str
    channel: int | None = None
    z: int | None = None
    frames: tuple[int | None, int | None] | None = None


def parse_frames(text: str | None) -> tuple[int | None, int | None] | None:
    """``"A:B"``, ``"A:"``, ``":B"`` (stop excluded, Python slice rules) as ``(A, B)``.

    Raises
    ------
    StackError
        When the text is not of that form.
    """
    if text is None or text.strip() in ("", ":"):
        return None
    match = re.fullmatch(r"\s*(-?\d+)?\s*:\s*(-?\d+)?\s*", text)
    if not match:
        raise StackError(
            f"cannot read the frame range {text!r}",
            hint="write START:STOP, e.g. 0:100 for the first 100 frames (STOP is excluded)",
        )
    start, stop = (int(g) if g is not None else None for g in match.groups())
    return start, stop


def _imagej_calibration(tif, keyframe) -> tuple[float | None, float | None]:
    """Pixel size (µm) from XResolution + ``unit``, frame interval (s) from ``finterval``/``fps``."""
    meta = tif.imagej_metadata or {}
    pixel_size = None
    tag = keyframe.tags.get("XResolution")
    unit = meta.get("unit")
    if tag is not None and unit:
        numerator, denominator = tag.value  # pixels per unit, as a fraction
        if numerator > 0:
            pixel_size = length_in_um(denominator / numerator, str(unit))
    interval = None
    if meta.get("finterval"):
        interval = time_in_s(float(meta["finterval"]), meta.get("tunit"))
    elif meta.get("fps"):
        interval = 1.0 / float(meta["fps"]) if float(meta["fps"]) > 0 else None
    return pixel_size, interval


def _ome_calibration(xml_text: str) -> tuple[float | None, float | None]:
    """Pixel size (µm) and frame interval (s) of the first OME Image's Pixels element.

    The interval is ``TimeIncrement``, or failing that the median step between
    the ``DeltaT`` of successive time points.
    """
    try:
        root = ElementTree.fromstring(xml_text)
    except ElementTree.ParseError:
        return None, None
    pixels = next((el for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "Pixels"), None)
    if pixels is None:
        return None, None
    pixel_size = interval = None
    if pixels.get("PhysicalSizeX"):
        pixel_size = length_in_um(float(pixels.get("PhysicalSizeX")), pixels.get("PhysicalSizeXUnit", "µm"))
    if pixels.get("TimeIncrement"):
        interval = time_in_s(float(pixels.get("TimeIncrement")), pixels.get("TimeIncrementUnit", "s"))
    else:
        times = {}
        for plane in pixels:
            if plane.tag.rsplit("}", 1)[-1] == "Plane" and plane.get("DeltaT") is not None:
                times.setdefault(int(plane.get("TheT", 0)), (float(plane.get("DeltaT")), plane.get("DeltaTUnit", "s")))
        if len(times) > 1:
            values = [times[t] for t in sorted(times)]
            step = float(np.median(np.diff([v for v, _ in values])))
            interval = time_in_s(step, values[0][1])
    return pixel_size, interval


class StackReader:
    """One movie, opened for reading frame by frame.

    Parameters
    ----------
    path : path
        A TIFF file (multi-page, OME-TIFF or ImageJ hyperstack).
    channel : int, optional
        Channel to read when the file has several (``C`` axis), or the colour
        (0 red, 1 green, 2 blue) of an RGB file without a ``C`` axis.
    z : int, optional
        z-plane to read when the file has several and a separate time axis.
    frames : (start, stop), optional
        Frames to use, Python slice rules; see :func:`parse_frames`.

    Attributes
    ----------
    frame_numbers : range
        The file's frame numbers that are selected (0-based).
    shape : tuple of int
        ``(n_frames, height, width)`` of the selection, in frames and pixels.
    dtype : numpy.dtype
        Of the frames handed out (native byte order; float32 for RGB made gray).
    axes : str
        The file's axes as tifffile reads them, e.g. ``"TZCYX"``.
    pixel_size_um, frame_interval_s : float or None
        Calibration from the file's metadata, None when it has none.
    contiguous : bool
        Whether frames are read straight from the file's bytes (uncompressed,
        contiguous) rather than page by page.

    Raises
    ------
    StackError
        Missing file, not a TIFF, a single 2-D image, a channel or z-plane that
        does not exist, several channels or planes and none chosen, an empty
        frame range, or a layout that is not a stack of 2-D planes.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        channel: int | None = None,
        z: int | None = None,
        frames: tuple[int | None, int | None] | None = None,
    ) -> None:
        import tifffile

        self.path = Path(path)
        self.spec = StackSpec(str(path), channel, z, frames)
        where = str(self.path)
        if not self.path.exists():
            raise StackError("file not found", where=where, hint="check the path")
        if not self.path.is_file():  # a folder, a named pipe or a device
            raise StackError("not a regular file", where=where, hint="give a TIFF movie file")
        try:
            self._tif = tifffile.TiffFile(self.path)
        except Exception as exc:  # noqa: BLE001 - damaged headers raise TiffFileError, struct.error, ...
            raise StackError(
                f"not a readable TIFF file ({exc})",
                where=where,
                hint="give a multi-page TIFF, OME-TIFF or ImageJ stack; Fiji's File > Save As > Tiff converts other movies",
            ) from None
        self._lock = threading.Lock()
        self._handle = None
        try:
            if not self._tif.series or not len(self._tif.series[0].pages):
                raise StackError("the TIFF file holds no images", where=where, hint="export the movie again")
            self._setup(channel, z, frames)
        except StackError:
            self._tif.close()
            raise
        except Exception as exc:  # noqa: BLE001 - damaged tags or layouts raise many types in tifffile
            self._tif.close()
            raise StackError(
                f"the movie's layout cannot be read ({type(exc).__name__}: {exc})",
                where=where,
                hint="the file is damaged; export it again (Fiji: File > Save As > Tiff)",
            ) from None
        except BaseException:
            self._tif.close()
            raise

    # -- opening ---------------------------------------------------------------------

    def _setup(self, channel: int | None, z: int | None, frames) -> None:
        where = str(self.path)
        series = self._tif.series[0]
        if len(self._tif.series) > 1:
            log.info("%s holds %d image series; reading the first", where, len(self._tif.series))
        keyframe = series.keyframe
        self.axes = series.axes
        page_axes, page_shape = keyframe.axes, tuple(keyframe.shape)
        if not (self.axes.endswith(page_axes) and tuple(series.shape[len(series.shape) - len(page_shape):]) == page_shape):
            raise StackError(
                f"unsupported layout: axes {self.axes} with pages of axes {page_axes}",
                where=where,
                hint="save the movie from Fiji as a plain TIFF stack of 2-D frames",
            )
        lead_axes = self.axes[: len(self.axes) - len(page_axes)]
        lead_shape = tuple(series.shape[: len(lead_axes)])
        if len(series.pages) != math.prod(lead_shape):
            raise StackError(
                f"unsupported layout: {len(series.pages)} pages for axes {lead_axes} of shape {lead_shape}",
                where=where,
                hint="save the movie from Fiji as a plain TIFF stack of 2-D frames",
            )
        sizes = dict(zip(lead_axes, lead_shape))
        time_axis = next((a for a in TIME_AXES if a in sizes), None)
        if time_axis is None and "Z" in sizes:
            time_axis = "Z"  # a stack saved as slices, a common ImageJ habit
            log.info("%s has no time axis; its %d z-slices are taken as frames", where, sizes["Z"])
        if time_axis is None and not sizes:
            raise StackError(
                f"a single image of axes {self.axes}, not a movie",
                where=where,
                hint="linking needs a stack of frames over time; check that the whole movie was saved",
            )
        if time_axis is None:
            planes = ", ".join(f"{size} along {axis}" for axis, size in sizes.items())
            raise StackError(
                f"no time axis: the planes of this file are labelled {planes} (axes {self.axes})",
                where=where,
                hint="if these planes are frames, relabel them in Fiji (Image > Properties: Frames) and save again",
            )

        # Sample axis (RGB): a colour chosen with `channel` when the file has no C axis.
        self._sample_axis = page_axes.index("S") if "S" in page_axes else None
        n_samples = page_shape[self._sample_axis] if self._sample_axis is not None else 1
        index = {}
        for axis, size in sizes.items():
            if axis == time_axis:
                continue
            if axis == "C":
                index[axis] = self._choose(channel, size, "channel", "--channel")
            elif axis == "Z":
                index[axis] = self._choose(z, size, "z-plane", "--z")
            elif size == 1:
                index[axis] = 0
            else:
                raise StackError(
                    f"axis {axis!r} of size {size} (axes {self.axes}) is not supported",
                    where=where,
                    hint="keep only time, z and channel axes (e.g. Fiji's Image > Duplicate)",
                )
        self._sample = None
        if "C" not in sizes and channel is not None:
            if n_samples > 1:
                self._sample = self._choose(channel, min(n_samples, 3), "colour channel", "--channel")
            elif channel != 0:
                raise StackError(
                    f"channel {channel} does not exist: the stack has one channel",
                    where=where,
                    hint="leave out --channel",
                )
        if "Z" not in sizes and z not in (None, 0):
            raise StackError(f"z-plane {z} does not exist: the stack has one plane", where=where, hint="leave out --z")
        self.channel = index.get("C", self._sample)
        self.z = index.get("Z")

        n_file_frames = sizes[time_axis]
        start, stop = frames if frames is not None else (None, None)
        self.frame_numbers = range(n_file_frames)[slice(start, stop)]
        if len(self.frame_numbers) == 0:
            raise StackError(
                f"the frame range {'' if start is None else start}:{'' if stop is None else stop} "
                f"selects no frame of the {n_file_frames}",
                where=where,
                hint=f"choose frames within 0:{n_file_frames}",
            )
        self.n_file_frames = n_file_frames
        self._lead_axes, self._lead_shape, self._time_axis, self._index = lead_axes, lead_shape, time_axis, index
        self._page_shape = page_shape
        self._series = series
        self._file_dtype = np.dtype(series.dtype).newbyteorder(self._tif.byteorder)
        self._plane_nbytes = math.prod(page_shape) * self._file_dtype.itemsize
        if self._plane_nbytes > MAX_FRAME_BYTES:  # a header that lies about the size, or no movie
            raise StackError(
                f"one frame would take {self._plane_nbytes / 2**30:.1f} GB ({' x '.join(map(str, page_shape))} "
                f"{self._file_dtype})", where=where,
                hint="the file's header is probably damaged; a real movie frame is far smaller",
            )
        self._offset = series.dataoffset
        self.contiguous = self._offset is not None
        height, width = (page_shape[i] for i, a in enumerate(page_axes) if a in "YX")
        if np.dtype(series.dtype).kind not in "biuf":
            raise StackError(
                f"the images hold {np.dtype(series.dtype)} values, not intensities",
                where=where,
                hint="convert the movie to 8-, 16- or 32-bit grey values (Fiji: Image > Type)",
            )
        if (self._sample_axis is not None and self._sample is None and n_samples > 1) or series.dtype == np.float16:
            self.dtype = np.dtype(np.float32)  # float16: trackpy's filters need float32 or wider
        else:
            self.dtype = np.dtype(series.dtype).newbyteorder("=")
        self.shape = (len(self.frame_numbers), height, width)
        self.pixel_size_um, self.frame_interval_s = None, None
        if self._tif.is_imagej:
            self.pixel_size_um, self.frame_interval_s = _imagej_calibration(self._tif, keyframe)
        elif self._tif.is_ome:
            self.pixel_size_um, self.frame_interval_s = _ome_calibration(self._tif.ome_metadata)

    def _choose(self, value: int | None, size: int, name: str, option: str) -> int:
        if value is None:
            if size == 1:
                return 0
            raise StackError(
                f"the stack has {size} {name}s (axes {self.axes}) and none was chosen",
                where=str(self.path),
                hint=f"choose one with {option} 0..{size - 1}",
            )
        if not 0 <= value < size:
            raise StackError(
                f"{name} {value} does not exist: the stack has {size} (axes {self.axes})",
                where=str(self.path),
                hint=f"use {option} 0..{size - 1}",
            )
        return value

    # -- reading ---------------------------------------------------------------------

    @property
    def n_frames(self) -> int:
        """Number of selected frames."""
        return len(self.frame_numbers)

    def _page_index(self, frame: int) -> int:
        position = tuple(frame if a == self._time_axis else self._index[a] for a in self._lead_axes)
        return int(np.ravel_multi_index(position, self._lead_shape)) if position else 0

    def _read_plane(self, page: int) -> np.ndarray:
        if self.contiguous:
            # One positioned read per frame. A memory map would do the same, but its
            # pages stay counted in the process's memory until unmapped, so a long
            # movie read through one map looks (and, under pressure, acts) as if it
            # were all loaded.
            plane = np.empty(self._page_shape, dtype=self._file_dtype)
            with self._lock:
                if self._handle is None:
                    self._handle = open(self.path, "rb")
                self._handle.seek(self._offset + page * self._plane_nbytes)
                got = self._handle.readinto(memoryview(plane).cast("B"))
            if got != self._plane_nbytes:
                raise StackError(
                    f"the file ends inside frame data (page {page})",
                    where=str(self.path),
                    hint="the file is truncated; copy or export it again",
                )
            return plane
        with self._lock:
            # One thread: parallel work comes from processes, one frame each.
            try:
                return self._series.pages[page].asarray(maxworkers=1)
            except Exception as exc:  # noqa: BLE001 - tifffile/zlib/imagecodecs raise many types for damaged data
                raise StackError(
                    f"the data of page {page} cannot be decoded ({type(exc).__name__}: {exc})",
                    where=str(self.path),
                    hint="the file is damaged or truncated; copy or export it again",
                ) from None

    def read(self, frame: int) -> np.ndarray:
        """One frame, shape ``(height, width)``, native byte order.

        Parameters
        ----------
        frame : int
            The file's frame number (0-based), as in :attr:`frame_numbers`.
        """
        if not 0 <= frame < self.n_file_frames:
            raise StackError(
                f"frame {frame} does not exist: the stack has {self.n_file_frames}",
                where=str(self.path),
                hint=f"use frames 0..{self.n_file_frames - 1}",
            )
        plane = self._read_plane(self._page_index(frame))
        if self._sample_axis is not None:
            if self._sample is not None:
                plane = np.take(plane, self._sample, axis=self._sample_axis)
            else:
                colours = np.moveaxis(plane, self._sample_axis, -1)[..., :3]
                if colours.shape[-1] == 3:
                    plane = colours.astype(np.float32) @ RGB_TO_GRAY
                else:
                    plane = colours[..., 0]
        if not plane.dtype.isnative:
            plane = plane.astype(plane.dtype.newbyteorder("="))
        if plane.dtype == np.float16:
            plane = plane.astype(np.float32)
        return plane

    def __iter__(self) -> Iterator[np.ndarray]:
        """The selected frames in order."""
        for frame in self.frame_numbers:
            yield self.read(frame)

    def memmap(self) -> np.memmap | None:
        """The whole series memory-mapped read-only (file axes and byte order).

        For viewers that jump around a movie; None when the data is compressed or
        not contiguous. Indexing copies nothing until a frame is used.
        """
        if not self.contiguous:
            return None
        return np.memmap(self.path, dtype=self._file_dtype, mode="r", offset=self._offset, shape=tuple(self._series.shape))

    def describe(self) -> str:
        """One line for logs and summaries: size, axes, selection and calibration."""
        parts = [f"{self.n_frames} of {self.n_file_frames} frames of {self.shape[2]}x{self.shape[1]} px", f"axes {self.axes}"]
        if self.channel is not None:
            parts.append(f"channel {self.channel}")
        if self.z is not None:
            parts.append(f"z {self.z}")
        parts.append(f"{self.pixel_size_um:g} µm/px" if self.pixel_size_um else "no pixel size in the file")
        parts.append(f"{self.frame_interval_s:g} s/frame" if self.frame_interval_s else "no frame interval in the file")
        return ", ".join(parts)

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None
            self._tif.close()

    def __enter__(self) -> StackReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_stack(spec: StackSpec) -> StackReader:
    """A :class:`StackReader` for ``spec``."""
    return StackReader(spec.path, channel=spec.channel, z=spec.z, frames=spec.frames)

"""Command-line words in the core's messages, said as the desktop app's menus and boxes.

The core's errors carry hints written for ``resandi`` on the command line ("use
--device cpu", "give --pixel-size-um"); the same messages reach the app, whose
users never see a command line. :func:`gui_wording` rewrites them with one
table, applied wherever the app shows a core message (the error dialog, the
preview and training status lines). The core keeps its wording: the command
line needs it, and the core never knows which front end shows it.
"""

from __future__ import annotations

import re

#: The invert check box's label in the linking panel (quoted in hints).
INVERT_BOX = "“Dark particles on bright background” (Data tab)"

#: (pattern, GUI words), applied in order; longer phrases before the single options they contain.
GUI_WORDING: tuple[tuple[str, str], ...] = (
    (r"use --device cpu or auto", "choose Analysis ▸ Device ▸ cpu or auto"),
    (r"use --device cuda or cuda:0", "choose Analysis ▸ Device ▸ cuda"),
    (r"use --device (\w+)", r"choose Analysis ▸ Device ▸ \1"),
    (r"--device", "Analysis ▸ Device"),
    (r"name other columns with a mapping such as track_id=Traj",
     "rename the file's columns to these names (in a spreadsheet or Fiji) and open it again"),
    (r"map another column as track_id", "rename another column of the file to track_id"),
    (r"map a time column as 't'", "rename the time column of the file to t"),
    (r"e\.g\. --column track_id=Traj --column frame=Slice", "rename the file's columns, e.g. Traj to track_id"),
    (r"--column", "a column name"),
    (r"\(give --pixel-size-um\)", "(set it in the Data tab's Pixel size box, or File ▸ Set Calibration…)"),
    (r"\(give --frame-interval-s\)", "(set it in the Data tab's Frame interval box, or File ▸ Set Calibration…)"),
    (r"leave out --pixel-size-um if unknown", "set the pixel size to 0 if unknown (File ▸ Set Calibration…)"),
    (r"leave out --frame-interval-s if unknown", "set the frame interval to 0 if unknown (File ▸ Set Calibration…)"),
    (r"--pixel-size-um", "the pixel size (File ▸ Set Calibration…)"),
    (r"--frame-interval-s", "the frame interval (File ▸ Set Calibration…)"),
    (r"use --invert for dark particles on a bright background", f"tick {INVERT_BOX} for dark particles"),
    (r"--invert", INVERT_BOX),
    (r"--minmass", "Min. brightness"),
    (r"--diameter", "Spot diameter"),
    (r"--min-length", "Min. track length"),
    (r"--search-range", "Search range"),
    (r"--memory", "Memory"),
    (r"or link with --processes 1 to find the frame", "or report it with the log file"),
    (r"pass --model PATH to a model folder; `resandi init-model DIR` writes an untrained one for trying the pipeline",
     "choose a model folder with Analysis ▸ Model ▸ Choose Model Folder…"),
    (r"pick another with --model", "pick another under Analysis ▸ Model"),
    (r"run `resandi models`", "pick one under Analysis ▸ Model"),
    (r"--model", "Analysis ▸ Model"),
    (r"add --resume to continue it", "press Resume to continue it"),
    (r"start without --resume", "press Train to start a new run"),
    (r"leave out --channel", "choose channel 0 under Movie in the Data tab"),
    (r"leave out --z", "choose z-plane 0 under Movie in the Data tab"),
    (r"run `resandi batch` again", "run File ▸ Batch Classify Folders… again"),
    (r"this is not a `resandi batch` output", "this is not a folder that Batch Classify Folders wrote"),
    (r"create one with `resandi generate`", "create one with Generate in the Training tab"),
    (r"run the same `resandi generate` command again", "press Generate again with the same settings"),
    (r"run `resandi generate` again", "press Generate in the Training tab again"),
    (r"use --precision bf16 or fp32 on CPU", "choose precision bf16 or fp32 in the Training tab on a CPU"),
    (r"--precision", "the Training tab's precision"),
)

_COMPILED = tuple((re.compile(pattern), words) for pattern, words in GUI_WORDING)


def gui_wording(text: str) -> str:
    """``text`` with the command-line hints of :data:`GUI_WORDING` said in the app's words.

    Parameters
    ----------
    text : str
        A message from the core (or anything else: text without such hints is returned unchanged).

    Returns
    -------
    str
    """
    for pattern, words in _COMPILED:
        text = pattern.sub(words, text)
    return text

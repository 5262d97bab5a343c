"""The Data tab before any file is open: what the app does, and the first step as buttons.

An empty movie view (a black plot with unlabelled -0.5..0.5 axes) tells a new
user nothing; this page says in three lines what ResAnDi does and offers the
three ways in: a file of one's own, the sample tracks, the sample movie (or a
drop on the window). The Data panel swaps it for the movie view once a file is open.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

WHAT_IT_DOES = (
    "1. Open your tracks (TrackMate, trackpy, CSV, Excel …) or a TIFF movie, which it links into tracks.",
    "2. Classify: a neural network puts each track in one of eight kinds of (anomalous) diffusion.",
    "3. See why: Grad-CAM colours each track where the network looked; export tables and a report.",
)


class WelcomePage(QWidget):
    """Start page of the Data tab.

    Signals
    -------
    open_clicked()
        Open File… was clicked.
    sample_tracks_clicked()
        Open Sample Tracks was clicked.
    sample_movie_clicked()
        Open Sample Movie was clicked.
    """

    open_clicked = Signal()
    sample_tracks_clicked = Signal()
    sample_movie_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePage")
        title = QLabel("<h2>ResAnDi: what kind of motion is in your tracks?</h2>")
        # Not word-wrapped: a wrapped label in a centred box was given too little height and lost a line.
        lines = QLabel("<br>".join(WHAT_IT_DOES))
        lines.setStyleSheet("font-size: 11pt;")
        self.open_button = QPushButton("Open File…")
        self.open_button.setToolTip("A track table (TrackMate, trackpy, CSV, Excel, HDF5, NumPy) or a TIFF movie")
        self.tracks_button = QPushButton("Open Sample Tracks")
        self.tracks_button.setToolTip("300 tracks of beads in water (TrackMate CSV, in µm and s)")
        self.movie_button = QPushButton("Open Sample Movie")
        self.movie_button.setToolTip("The first 50 frames of the same beads (TIFF), to link yourself")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self.open_clicked)
        self.tracks_button.clicked.connect(self.sample_tracks_clicked)
        self.movie_button.clicked.connect(self.sample_movie_clicked)
        drop = QLabel("… or drop files or folders anywhere on this window.")
        drop.setStyleSheet("color: #555555;")

        buttons = QHBoxLayout()
        for button in (self.open_button, self.tracks_button, self.movie_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        column = QVBoxLayout()
        column.addWidget(title)
        column.addWidget(lines)
        column.addSpacing(16)
        column.addLayout(buttons)
        column.addWidget(drop)
        box = QWidget()
        box.setLayout(column)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

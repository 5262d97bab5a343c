"""Readers and writers of track files, one module per format family."""

from .csv_tracks import read_tracks_csv

__all__ = ["read_tracks_csv"]

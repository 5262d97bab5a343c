"""TrackMate spot tables (CSV) and XML files: units, dropped spots, branching tracks."""

from pathlib import Path

import numpy as np
import pytest

from resandi_core.errors import TrackFormatError
from resandi_core.io import read_tracks

DATA = Path(__file__).parent / "data" / "tracks"


def test_spot_table_v7_units_rows_and_tracks():
    tracks = read_tracks(DATA / "trackmate_spots_v7.csv")
    assert tracks.format == "trackmate-csv"
    assert tracks.dropped == {"spots without track": 3}  # two "None", one empty
    assert tracks.table.groupby("track_id").size().to_dict() == {0: 12, 3: 10}
    assert tracks.position_unit == "µm" and tracks.pixel_size_um is None
    assert tracks.frame_interval_s == pytest.approx(0.05)
    first = tracks.table.iloc[0]
    assert (first.track_id, first.frame, first.x, first.y, first.t, first.spot_id) == (0, 0, 12.5017, 8.318, 0.0, 1000)
    # TrackMate lists spots in no frame order; they are sorted, and that is said.
    assert tracks.table.loc[tracks.table.track_id == 0, "frame"].tolist() == list(range(12))
    assert tracks.changed == {"tracks put in frame order": 1}
    assert {"QUALITY", "MEAN_INTENSITY_CH1", "POSITION_Z", "LABEL"} <= set(tracks.table.columns)
    assert "POSITION_T" not in tracks.table.columns  # became t, in s


def test_spot_table_v7_pixel_size_argument_keeps_micron_positions():
    tracks = read_tracks(DATA / "trackmate_spots_v7.csv", pixel_size_um=0.108, frame_interval_s=0.1)
    assert tracks.position_unit == "µm" and tracks.pixel_size_um == 0.108 and tracks.table.x.iloc[0] == 12.5017
    assert tracks.frame_interval_s == 0.1
    assert any("gives 0.05 s for the frame interval, but 0.1 s was given; using 0.1 s" in n for n in tracks.notes)


def test_spot_table_before_v7_has_no_units():
    tracks = read_tracks(DATA / "trackmate_spots_v3.csv")
    assert tracks.n_tracks == 1 and tracks.n_detections == 11
    assert tracks.position_unit == "px" and tracks.frame_interval_s is None
    assert "POSITION_T" in tracks.table.columns and "t" not in tracks.table.columns
    assert any("no units row" in n for n in tracks.notes)
    assert read_tracks(DATA / "trackmate_spots_v3.csv", position_unit="µm").position_unit == "µm"


def test_spot_table_units_in_nm_and_ms(tmp_path):
    path = tmp_path / "spots.csv"
    path.write_text(
        "LABEL,ID,TRACK_ID,POSITION_X,POSITION_Y,POSITION_T,FRAME\n"
        "Label,Spot ID,Track ID,X,Y,T,Frame\nLabel,Spot ID,Track ID,X,Y,T,Frame\n,,,(nm),(nm),(ms),\n"
        "ID1,1,4,1200,800,0,0\nID2,2,4,1300,900,20,1\nID3,3,4,1250,950,40,2\n"
    )
    tracks = read_tracks(path)
    assert tracks.position_unit == "µm" and tracks.table.x.tolist() == [1.2, 1.3, 1.25]
    assert tracks.table.t.tolist() == [0.0, 0.02, 0.04] and tracks.frame_interval_s == pytest.approx(0.02)


def test_spot_table_with_branches_points_to_the_xml(tmp_path):
    path = tmp_path / "spots.csv"
    path.write_text("LABEL,ID,TRACK_ID,POSITION_X,POSITION_Y,FRAME\nID1,1,4,1,1,0\nID2,2,4,2,2,1\nID3,3,4,3,3,1\n")
    tracks = read_tracks(path)
    assert any("TrackMate tracks 4 list a frame more than once" in n and "Load the TrackMate XML" in n for n in tracks.notes)


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("LABEL,ID,TRACK_ID,POSITION_X,POSITION_Y,FRAME\nID1,1,None,1,1,0\nID2,2,,2,2,1\n", "none of the 2 spots belongs to a track"),
        ("LABEL,ID,TRACK_ID,POSITION_X,POSITION_Y,FRAME\nID1,1,0,1,1,0\nID2,2,0,abc,2,1\n", r"'abc' in column 'POSITION_X' at line 3"),
        ("LABEL,ID,TRACK_ID,POSITION_X,POSITION_Y,FRAME\n,,,(micron),(micron),\n", "header rows but no spots"),
        ("LABEL,ID,TRACK_ID,POSITION_X,POSITION_Y,FRAME\n,,,(furlong),(furlong),\nID1,1,0,1,1,0\n", "unknown position unit 'furlong'"),
        ("LABEL,TRACK_ID,NUMBER_SPOTS,TRACK_DURATION\nTrack_0,0,12,11\n", "track statistics table"),
        ("LABEL,ID,TRACK_ID,POSITION_X,FRAME\nID1,1,0,1,0\n", "without POSITION_Y"),
    ],
)
def test_broken_spot_tables(tmp_path, text, pattern):
    path = tmp_path / "spots.csv"
    path.write_text(text)
    with pytest.raises(TrackFormatError, match=pattern):
        read_tracks(path)


def test_edge_table_is_refused():
    with pytest.raises(TrackFormatError, match="TrackMate's edge \\(links\\) table"):
        read_tracks(DATA / "trackmate_edges.csv")


def test_session_micron_filtered_tracks_and_branch_split():
    tracks = read_tracks(DATA / "trackmate_session_micron.xml")
    assert tracks.format == "trackmate-xml"
    assert tracks.position_unit == "µm" and tracks.pixel_size_um == 0.1625 and tracks.frame_interval_s == 0.05
    assert tracks.dropped == {
        "spots without track": 2,
        "spots of tracks hidden by TrackMate's track filters": 4,
        "tracks hidden by TrackMate's track filters": 1,
    }
    assert tracks.changed == {"branching tracks split": 1, "segments from branching tracks": 3}
    table = tracks.table
    # Track 0 is linear: it keeps its id; one edge is written target-first and
    # frame 5 is missing (a gap): time order wins.
    track0 = table[table.track_id == 0]
    assert track0.spot_id.tolist() == list(range(100, 112))
    assert track0.frame.tolist() == [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12]
    assert track0.t.iloc[-1] == pytest.approx(0.6)
    # Track 2 splits after spot 202: three segments numbered after the largest TRACK_ID (2).
    segments = {tid: g.spot_id.tolist() for tid, g in table[table.trackmate_track_id == 2].groupby("track_id")}
    assert segments == {3: [200, 201, 202], 4: [203, 205], 5: [204, 206]}
    assert set(table.track_id) == {0, 3, 4, 5} and 1 not in set(table.trackmate_track_id)
    assert any("2 (1 split, 0 merges) -> 3-5" in n for n in tracks.notes)
    assert table.loc[table.spot_id == 205, ["x", "y"]].values.tolist() == [[19.868133, 19.943699]]
    # Every segment is linear: no frame twice in a track.
    assert not table.duplicated(["track_id", "frame"]).any()


def test_session_pixel_merge_and_imagej_default_interval():
    tracks = read_tracks(DATA / "trackmate_session_pixel.xml")
    assert tracks.position_unit == "px" and tracks.pixel_size_um is None  # pixelwidth 1.0 of a pixel image means nothing
    assert tracks.frame_interval_s == 1.0
    assert any("ImageJ's default" in n for n in tracks.notes)
    segments = {tid: g.spot_id.tolist() for tid, g in tracks.table[tracks.table.trackmate_track_id == 5].groupby("track_id")}
    assert segments == {8: [10, 11], 9: [12], 10: [13, 14, 15]}
    assert any("5 (0 splits, 1 merge) -> 8-10" in n for n in tracks.notes)
    given = read_tracks(DATA / "trackmate_session_pixel.xml", frame_interval_s=0.02)
    assert given.frame_interval_s == 0.02 and not any("ImageJ's default" in n for n in given.notes)
    assert any("the TrackMate session says 1 s for the frame interval, but 0.02 s was given" in n for n in given.notes)


def test_export_tracks_xml():
    tracks = read_tracks(DATA / "trackmate_export_tracks.xml")
    assert tracks.position_unit == "µm" and tracks.frame_interval_s == 0.1 and tracks.pixel_size_um is None
    table = tracks.table
    assert table.groupby("track_id").size().to_dict() == {0: 4, 1: 3, 2: 2}
    assert table.loc[table.track_id == 1, "frame"].tolist() == [2, 3, 4]
    assert table.loc[table.track_id == 1, "x"].tolist() == [11.95, 12.004, 12.087]
    assert tracks.changed == {"tracks put in frame order": 1}


def test_session_in_nm_and_ms(tmp_path):
    text = (DATA / "trackmate_session_micron.xml").read_text(encoding="utf-8")
    text = text.replace('spatialunits="µm" timeunits="sec"', 'spatialunits="nm" timeunits="ms"')
    text = text.replace('pixelwidth="0.1625"', 'pixelwidth="162.5"').replace('timeinterval="0.05"', 'timeinterval="50.0"')
    path = tmp_path / "nm.xml"
    path.write_text(text, encoding="utf-8")
    tracks = read_tracks(path)
    assert tracks.position_unit == "µm" and tracks.pixel_size_um == pytest.approx(0.1625)
    assert tracks.frame_interval_s == pytest.approx(0.05)
    assert tracks.table.x.iloc[0] == pytest.approx(0.010000098)
    assert tracks.table.t.iloc[1] == pytest.approx(0.00005)  # POSITION_T "0.0500" ms


@pytest.mark.parametrize(
    "name, pattern",
    [
        ("damaged_session.xml", "the XML is damaged or incomplete at line 65"),
        ("not_trackmate.xml", "an XML file whose root is <svg>"),
    ],
)
def test_broken_xml_files(name, pattern):
    with pytest.raises(TrackFormatError, match=pattern):
        read_tracks(DATA / name)


@pytest.mark.parametrize(
    "edit, pattern",
    [
        (('SPOT_TARGET_ID="205"', 'SPOT_TARGET_ID="999"'), "links refer to spot ID\\(s\\) 999 that are not in AllSpots"),
        (('POSITION_X="19.868133"', 'POSITION_X="abc"'), "spot 205 has a non-numeric POSITION_X 'abc'"),
        (('<TrackID TRACK_ID="0" />', ""), None),
    ],
)
def test_session_inconsistencies(tmp_path, edit, pattern):
    text = (DATA / "trackmate_session_micron.xml").read_text(encoding="utf-8").replace(*edit)
    path = tmp_path / "s.xml"
    path.write_text(text, encoding="utf-8")
    if pattern is None:  # track 0 filtered out too: counted
        tracks = read_tracks(path)
        assert tracks.dropped["tracks hidden by TrackMate's track filters"] == 2 and 0 not in set(tracks.table.track_id)
        return
    with pytest.raises(TrackFormatError, match=pattern):
        read_tracks(path)


def test_session_without_tracks(tmp_path):
    path = tmp_path / "s.xml"
    path.write_text(
        '<?xml version="1.0"?><TrackMate version="7.0"><Model spatialunits="pixel" timeunits="sec">'
        '<AllSpots nspots="1"><SpotsInFrame frame="0"><Spot ID="1" FRAME="0" POSITION_X="1" POSITION_Y="2" POSITION_T="0"/>'
        "</SpotsInFrame></AllSpots><AllTracks/><FilteredTracks/></Model></TrackMate>"
    )
    with pytest.raises(TrackFormatError, match="the session holds spots but no tracks"):
        read_tracks(path)


def test_prepared_segments_classify_without_duplicate_frames():
    from resandi_core.model.preprocess import prepare_track

    table = read_tracks(DATA / "trackmate_session_micron.xml").table
    statuses = {
        tid: prepare_track(tid, g.frame.to_numpy(), g.x.to_numpy(), g.y.to_numpy()).status
        for tid, g in table.groupby("track_id")
    }
    assert statuses == {0: "ok", 3: "too_short", 4: "too_short", 5: "too_short"}
    assert np.isfinite(table[["x", "y"]].to_numpy()).all()


def test_session_with_a_wordy_pixel_width_is_read_with_a_note(tmp_path):
    from resandi_core.io import read_tracks

    text = (DATA / "trackmate_session_micron.xml").read_text()
    path = tmp_path / "wide.xml"
    path.write_text(text.replace('pixelwidth="0.1625"', 'pixelwidth="wide"'))
    tracks = read_tracks(path)
    assert tracks.pixel_size_um is None
    assert any("pixelwidth 'wide' is not a positive number" in note for note in tracks.notes)


@pytest.mark.parametrize("bad_id", ["NaN", "1e999", "2.5"])
def test_spot_ids_that_are_not_whole_numbers_are_an_error(tmp_path, bad_id):
    import re

    from resandi_core.errors import TrackFormatError
    from resandi_core.io import read_tracks

    text = (DATA / "trackmate_session_micron.xml").read_text()
    first_id = re.search(r'<Spot ID="(\d+)"', text).group(1)
    path = tmp_path / "bad_id.xml"
    path.write_text(text.replace(f'<Spot ID="{first_id}"', f'<Spot ID="{bad_id}"', 1))
    with pytest.raises(TrackFormatError, match="not a whole number"):
        read_tracks(path)

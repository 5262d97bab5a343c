"""Generic track tables: trackpy CSV, European CSV, Excel, column mapping, broken files."""

from pathlib import Path

import numpy as np
import pytest

from resandi_core.errors import ResandiError, TrackFormatError
from resandi_core.io import read_tracks

DATA = Path(__file__).parent / "data" / "tracks"


def write(tmp_path, text, name="tracks.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_trackpy_linked_csv_keeps_trackpy_columns():
    tracks = read_tracks(DATA / "trackpy_linked.csv")
    assert tracks.format == "table" and tracks.n_tracks == 3 and tracks.n_detections == 35
    table = tracks.table
    assert {"mass", "size", "ecc", "signal", "raw_mass", "ep"} <= set(table.columns)
    assert table.frame.dtype.kind == "i" and table.track_id.dtype.kind == "i"
    # Particle 2 misses frame 6 (trackpy's memory): the gap is kept for the classifier.
    assert table.loc[table.track_id == 2, "frame"].tolist() == [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11]
    # Rows were in frame order (trackpy's), which is in order within each track: no note.
    assert tracks.changed == {} and tracks.dropped == {}
    assert tracks.position_unit == "px" and tracks.pixel_size_um is None and tracks.frame_interval_s is None
    assert tracks.notes == ["the file does not say in which unit the positions are; pixels assumed (give the position unit if not)."]
    assert table.loc[0, ["x", "y"]].tolist() == [21.6327, 27.9555]


def test_european_excel_csv_bom_semicolons_decimal_commas_units():
    tracks = read_tracks(DATA / "european_excel.csv")
    table = tracks.table
    assert list(table.columns) == ["track_id", "frame", "x", "y", "t", "Intensity"]
    assert table.track_id.unique().tolist() == [1, 2] and table.frame.tolist()[:3] == [1, 2, 3]
    assert table.loc[0, ["x", "y", "t"]].tolist() == [5.4599, 7.1838, 0.0]
    assert table.t.iloc[1] == pytest.approx(0.1)
    assert tracks.position_unit == "µm" and tracks.frame_interval_s == pytest.approx(0.1)
    assert "numbers with decimal commas were read (0,5 = 0.5)." in tracks.notes
    assert any("track_id='Trajectory', frame='Slice', x='X (µm)'" in note for note in tracks.notes)


def test_argument_frame_interval_wins_over_the_file_with_a_note(caplog):
    tracks = read_tracks(DATA / "european_excel.csv", frame_interval_s=0.2, pixel_size_um=0.1)
    assert tracks.frame_interval_s == 0.2
    assert "the file's time column gives 0.1 s for the frame interval, but 0.2 s was given; using 0.2 s." in tracks.notes
    assert "using 0.2 s" in caplog.text
    # The file gives µm: positions stay in µm; the pixel size is recorded.
    assert tracks.position_unit == "µm" and tracks.pixel_size_um == 0.1
    assert tracks.table.x.iloc[0] == 5.4599


def test_column_mapping_overrides_the_guess(tmp_path):
    path = write(tmp_path, "ID,Traj,Slice,PosX,PosY\n7,1,0,1.0,2.0\n8,1,1,1.5,2.5\n9,2,0,3.0,4.0\n")
    guessed = read_tracks(path, columns={"x": "PosX", "y": "posy", "frame": "Slice"})
    # Without a mapping for the track, "Traj" beats "ID" (aliases are ordered).
    assert guessed.table.track_id.tolist() == [1, 1, 2]
    mapped = read_tracks(path, columns={"track_id": "ID", "frame": "Slice", "x": "PosX", "y": "PosY"})
    assert mapped.table.track_id.tolist() == [7, 8, 9] and "Traj" in mapped.table.columns
    assert any("every track has a single detection" in note for note in mapped.notes)


def test_mapping_errors(tmp_path):
    path = write(tmp_path, "track,frame,x,y\n1,0,0,0\n")
    with pytest.raises(TrackFormatError, match=r"column 'Nope' \(given for x\) is not in the file; found track, frame, x, y"):
        read_tracks(path, columns={"x": "Nope"})
    with pytest.raises(TrackFormatError, match="unknown column role 'z'"):
        read_tracks(path, columns={"z": "x"})


def test_units_in_headers_and_nm_conversion(tmp_path):
    tracks = read_tracks(write(tmp_path, "track_id,frame,x_nm,y [nm],time (ms)\n1,0,1500,250,0\n1,1,1600,260,50\n"))
    assert tracks.position_unit == "µm" and tracks.table[["x", "y"]].values.tolist() == [[1.5, 0.25], [1.6, 0.26]]
    assert tracks.table.t.tolist() == [0.0, 0.05] and tracks.frame_interval_s == pytest.approx(0.05)
    assert tracks.changed == {"positions converted to µm": 2}
    px = read_tracks(write(tmp_path, "track_id,frame,x [px],y [px]\n1,0,1,2\n", name="px.csv"), position_unit="um")
    assert px.position_unit == "px" and any("position unit µm that was given does not apply" in n for n in px.notes)


def test_x_and_y_in_different_units(tmp_path):
    with pytest.raises(TrackFormatError, match="x and y are in different units"):
        read_tracks(write(tmp_path, "track_id,frame,x (µm),y (px)\n1,0,1,2\n"))


def test_frames_from_a_time_column_need_the_frame_interval(tmp_path):
    path = write(tmp_path, "track,time_s,x,y\n1,0.0,0,0\n1,0.1,1,1\n1,0.3,2,2\n")
    with pytest.raises(TrackFormatError, match=r"missing column\(s\) frame; found track, time_s, x, y"):
        read_tracks(path)
    tracks = read_tracks(path, frame_interval_s=0.1)
    assert tracks.table.frame.tolist() == [0, 1, 3] and tracks.frame_interval_s == 0.1
    with pytest.raises(TrackFormatError, match="not a whole number of frames of 0.07 s"):
        read_tracks(path, frame_interval_s=0.07)


def test_t_in_frames_is_the_frame_column(tmp_path):
    tracks = read_tracks(write(tmp_path, "particle,t [frame],x,y\n4,2,0,0\n4,3,1,1\n"))
    assert tracks.table.frame.tolist() == [2, 3] and "t" not in tracks.table.columns


def test_unsorted_rows_are_sorted_and_counted(tmp_path):
    tracks = read_tracks(write(tmp_path, "track_id,frame,x,y\n2,1,5,5\n1,2,0,0\n1,0,1,1\n2,0,6,6\n1,1,2,2\n"))
    assert tracks.table[["track_id", "frame"]].values.tolist() == [[1, 0], [1, 1], [1, 2], [2, 0], [2, 1]]
    assert tracks.table.x.tolist() == [1, 2, 0, 6, 5]
    assert tracks.changed == {"tracks put in frame order": 2}


def test_duplicate_frames_are_left_to_the_classifier(tmp_path):
    # One place for per-track statuses: prepare_track marks duplicate_frames.
    from resandi_core.model.preprocess import TrackStatus, prepare_track

    rows = "".join(f"1,{f},{f},0\n" for f in [0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9])
    tracks = read_tracks(write(tmp_path, "track_id,frame,x,y\n" + rows))
    assert tracks.n_detections == 11 and tracks.dropped == {}
    t = tracks.table
    assert prepare_track(1, t.frame.to_numpy(), t.x.to_numpy(), t.y.to_numpy()).status == TrackStatus.DUPLICATE_FRAMES


def test_unlinked_detections_get_a_file_level_hint(tmp_path):
    rows = "".join(f"{k},{f},{f + k},{k}\n" for k in (1, 2) for f in (0, 0, 1, 1))
    tracks = read_tracks(write(tmp_path, "cell,frame,x,y\n" + rows), columns={"track_id": "cell"})
    assert any("2 of 2 tracks list a frame more than once: is 'cell' really the track id" in n for n in tracks.notes)


def test_string_track_ids_and_whitespace_delimited(tmp_path):
    tracks = read_tracks(write(tmp_path, "track frame x y\ncellA 0 1.0 2.0\ncellA 1 1.5 2.5\ncellB 0 3 4\n", name="t.txt"))
    assert tracks.table.track_id.tolist() == ["cellA", "cellA", "cellB"] and tracks.n_tracks == 2


def test_windows_1252_file(tmp_path):
    tracks = read_tracks(write(tmp_path, "track;frame;x (µm);y (µm)\n1;0;0,5;1\n1;1;0,6;1\n", encoding="cp1252"))
    assert tracks.position_unit == "µm" and tracks.table.x.tolist() == [0.5, 0.6]
    assert "the file is not UTF-8 text; it was read as Windows-1252 (Western European)." in tracks.notes


def test_blank_lines_and_comments_keep_line_numbers(tmp_path):
    path = write(tmp_path, "# exported by MyTracker\n\ntrack_id,frame,x,y\n1,0,0,0\n\n1,1,oops,0\n")
    with pytest.raises(TrackFormatError, match=r"'oops' in column 'x' at line 6"):
        read_tracks(path)


@pytest.mark.parametrize(
    "name, content, pattern",
    [
        ("unrelated_columns.csv", None, r"missing column\(s\) track_id, frame, x, y; found sample, date, concentration_mM, od600"),
        ("mixed_delimiters.csv", None, "the header is separated by commas but the rows by semicolons"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40), r"this is a PNG image, not a file of tracks \(its name ends in .csv\)"),
        ("stack.csv", b"II*\x00" + bytes(60), "a TIFF image"),
        ("blob.csv", b"abc\x00\x01\x02" * 10, "a binary file"),
        ("empty.csv", b"", "the file is empty"),
        ("blank.csv", b"\n\n  \n", "the file is empty"),
        ("comments.csv", b"# nothing here\n", "only comments"),
        ("numbers.csv", b"1,0,0.5,0.5\n1,1,0.6,0.5\n", "the first row holds numbers, not column names"),
        ("header.csv", b"track_id,frame,x,y\n", "header but no rows"),
        ("ragged.csv", b"track_id,frame,x,y\n1,0,0,0\n1,1,0,0,7,8\n", "line 3 has 6 cells but the header has 4"),
        ("ragged2.csv", b"# c\n\ntrack_id,frame,x,y\n1,0,0,0\n\n1,1,0,0,7,8\n", "line 6 has 6 cells but the header has 4"),
        ("frames.csv", b"track_id,frame,x,y\n1,0,0,0\n1,,0,0\n", r"line 3 has no frame number in column 'frame'"),
    ],
)
def test_broken_tables(tmp_path, name, content, pattern):
    path = DATA / name if content is None else tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TrackFormatError, match=pattern) as info:
        read_tracks(path)
    assert str(path) in str(info.value) and info.value.hint


def _workbook(path, sheets):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_xlsx_first_sheet_and_named_sheet(tmp_path):
    path = _workbook(
        tmp_path / "tracks.xlsx",
        {
            "Summary": [["Experiment", "n"], ["A", 2]],
            "Tracks": [["Track", "Frame", "X (µm)", "Y (µm)"], [1, 0, 0.5, 1.25], [None, None, None, None], [1, 1, 0.75, 1.5], [2, 0, "0,25", 3]],
        },
    )
    with pytest.raises(TrackFormatError, match=r"missing column\(s\) track_id, frame, x, y; found Experiment, n"):
        read_tracks(path)
    for sheet in ("Tracks", 1, "1"):
        tracks = read_tracks(path, sheet=sheet)
        assert tracks.table[["track_id", "frame", "x", "y"]].values.tolist() == [[1, 0, 0.5, 1.25], [1, 1, 0.75, 1.5], [2, 0, 0.25, 3.0]]
        assert tracks.position_unit == "µm" and "read sheet 'Tracks' of 2 (Summary, Tracks)." in tracks.notes
    with pytest.raises(TrackFormatError, match="no sheet named 'Other'; the sheets are Summary, Tracks"):
        read_tracks(path, sheet="Other")
    with pytest.raises(TrackFormatError, match="no sheet number 5"):
        read_tracks(path, sheet=5)


def test_xlsx_bad_cell_names_the_excel_row(tmp_path):
    path = _workbook(tmp_path / "bad.xlsx", {"S": [["track_id", "frame", "x", "y"], [1, 0, 1, 1], [1, 1, "n/a?", 1]]})
    with pytest.raises(TrackFormatError, match=r"'n/a\?' in column 'x' at row 3"):
        read_tracks(path)


def test_invalid_arguments(tmp_path):
    path = write(tmp_path, "track_id,frame,x,y\n1,0,0,0\n")
    with pytest.raises(ResandiError, match="pixel_size_um must be a positive number"):
        read_tracks(path, pixel_size_um=-1)
    with pytest.raises(ResandiError, match="frame_interval_s must be a positive number"):
        read_tracks(path, frame_interval_s=float("nan"))
    with pytest.raises(ResandiError, match="position unit must be px or µm"):
        read_tracks(path, position_unit="nm")


def test_nan_and_inf_positions_are_kept(tmp_path):
    tracks = read_tracks(write(tmp_path, "track_id,frame,x,y\n1,0,inf,0\n1,1,,0\n1,2,NaN,0\n"))
    x = tracks.table.x.to_numpy()
    assert np.isinf(x[0]) and np.isnan(x[1:]).all()


def test_a_repeated_column_name_is_a_note(tmp_path):
    path = tmp_path / "dup.csv"
    rows = [f"{tid},{frame},{frame * 0.5},{frame * 9.0},{frame * 0.25}" for tid in (1, 2) for frame in range(12)]
    path.write_text("particle,frame,x,x,y\n" + "\n".join(rows) + "\n")
    tracks = read_tracks(path)
    assert any("names column(s) x more than once" in note for note in tracks.notes)
    assert tracks.table["x"].max() == pytest.approx(5.5)  # the first x


@pytest.mark.parametrize("where", ["first", "later"])
def test_a_row_of_half_a_million_cells_is_refused_at_once(tmp_path, where):
    rows = [f"1,{i},{i * 0.1},{i * 0.2}" for i in range(20)]
    rows.insert(0 if where == "first" else 5, ",".join(["1"] * 500_000))
    path = tmp_path / "long_line.csv"
    path.write_text("particle,frame,x,y\n" + "\n".join(rows) + "\n")
    # pandas alone would make the first row's extra cells an index: minutes and gigabytes
    with pytest.raises(TrackFormatError, match=r"line (2|7) has (at least )?[0-9,]{6,} cells but the header has 4"):
        read_tracks(path)


def test_a_workbook_with_a_damaged_sheet_is_a_clear_error(tmp_path):
    import zipfile

    import openpyxl

    good = tmp_path / "good.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["particle", "frame", "x", "y"])
    for frame in range(12):
        book.active.append([1, frame, frame * 0.1, frame * 0.2])
    book.save(good)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data[: len(data) // 2]  # the sheet's XML cut in the middle of a row
            target.writestr(item, data)
    with pytest.raises(TrackFormatError, match="damaged") as error:
        read_tracks(damaged)
    assert str(damaged) in str(error.value)

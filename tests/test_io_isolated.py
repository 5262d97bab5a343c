"""A file that crashes, hangs or floods its reader costs only itself (reads run in a child process)."""

import os
import signal
import time

import numpy as np
import pytest
from factories import mixed_tracks_table

import resandi_core.io as io_package
from resandi_core.errors import TrackFormatError
from resandi_core.io.isolated import read_tracks_isolated


@pytest.fixture
def good_csv(tmp_path):
    path = tmp_path / "good.csv"
    mixed_tracks_table(n_tracks=4, seed=1, n_too_short=0, n_with_gaps=0, max_length=60).to_csv(path, index=False)
    return path


@pytest.fixture
def forked(monkeypatch):
    """Fork the reader child from this process, so that it sees the monkeypatched reader.

    (With other threads alive, e.g. after GUI tests, the module would use a fork
    server, whose children do not share this process's patches.)
    """
    import multiprocessing

    import resandi_core.io.isolated as isolated

    monkeypatch.setattr(isolated, "child_context", lambda preload=(): multiprocessing.get_context("fork"))


def misbehaving_reader(real):
    """read_tracks that crashes, hangs or floods memory for files named so (the child is forked: it sees this)."""

    def read(path, **options):
        name = os.path.basename(str(path))
        if name.startswith("segfault"):
            os.kill(os.getpid(), signal.SIGSEGV)
        if name.startswith("hang"):
            time.sleep(60)
        if name.startswith("flood"):
            hog = [np.ones(2**27) for _ in range(64)]  # 64 GB, if the budget let it
            return hog
        return real(path, **options)

    return read


def test_good_files_read_as_in_process(good_csv):
    assert read_tracks_isolated(good_csv).table.equals(io_package.read_tracks(good_csv).table)


def test_reader_errors_keep_their_message(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,when,x,y\n1,0,0,0\n")
    with pytest.raises(TrackFormatError, match="missing column") as error:
        read_tracks_isolated(bad)
    assert str(error.value).startswith(str(bad))


def test_crash_hang_and_memory_flood_become_errors_naming_the_file(tmp_path, good_csv, monkeypatch, forked):
    monkeypatch.setattr(io_package, "read_tracks", misbehaving_reader(io_package.read_tracks))
    for name, pattern, budget in [("segfault.csv", "crashed the reader \\(signal SIGSEGV\\)", {}),
                                  ("hang.csv", "longer than 1 s", {"timeout_s": 1}),
                                  ("flood.csv", "memory budget of 0.5 GB", {"memory_gb": 0.5})]:
        path = tmp_path / name
        path.write_text(good_csv.read_text())
        started = time.perf_counter()
        with pytest.raises(TrackFormatError, match=pattern) as error:
            read_tracks_isolated(path, **budget)
        assert str(path) in str(error.value) and time.perf_counter() - started < 30


def test_a_crashing_file_in_a_batch_costs_only_itself(tmp_path, good_csv, untrained_model, monkeypatch, forked):
    from resandi_core.batch import FileRequest, iter_classify_files
    from resandi_core.progress import run_job

    monkeypatch.setattr(io_package, "read_tracks", misbehaving_reader(io_package.read_tracks))
    crash = tmp_path / "segfault.csv"
    crash.write_text(good_csv.read_text())
    outcomes = run_job(iter_classify_files([FileRequest(crash), FileRequest(good_csv)], untrained_model, device="cpu"))
    assert "crashed" in outcomes[0].failure and outcomes[0].expected
    assert outcomes[1].failure is None and len(outcomes[1].result.tracks) == 4

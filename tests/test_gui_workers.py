"""JobRunner: core generators run off the UI thread, report progress, cancel and fail cleanly."""

import threading
import time

import pytest

from resandi_core.errors import ResandiError
from resandi_core.progress import Progress

pytestmark = pytest.mark.gui


@pytest.fixture
def runner(qtbot):
    from resandi_gui.workers import JobRunner

    runner = JobRunner()
    yield runner
    runner.cancel()
    runner.wait()


def counting_job(n, log, gate=None, pause_s=0.0):
    try:
        log.append(("thread", threading.current_thread() is threading.main_thread()))
        for i in range(n):
            if gate is not None:
                gate.wait(5)
            time.sleep(pause_s)
            yield Progress(i, n, "count")
        yield Progress(n, n, "count")
        return sum(range(n))
    finally:
        log.append("closed")


def test_a_job_runs_off_the_ui_thread_and_its_result_lands_on_its_callback(qtbot, runner):
    log, landed, busy = [], [], []
    events = []
    runner.progress.connect(events.append)
    runner.busy_changed.connect(lambda b: busy.append((b, runner.busy)))
    with qtbot.waitSignal(runner.stopped, timeout=5000):
        runner.start("count", lambda: counting_job(50, log), on_finished=landed.append)
        assert runner.busy
    assert landed == [sum(range(50))]
    assert log[0] == ("thread", False) and log[-1] == "closed"
    assert busy == [(True, True), (False, False)] and not runner.busy
    assert events[0].done == 0 and events[-1].done == 50  # first and last always arrive


def test_cancel_closes_the_generator_and_calls_only_the_cancel_callback(qtbot, runner):
    log, landed, cancelled = [], [], []
    gate = threading.Event()
    with qtbot.waitSignal(runner.stopped, timeout=5000):
        with qtbot.waitSignal(runner.progress, timeout=5000):  # the job is under way
            runner.start("count", lambda: counting_job(1000, log, gate, 0.01), on_finished=landed.append,
                         on_cancelled=lambda: cancelled.append(True))
            gate.set()
        runner.cancel()
    assert landed == [] and cancelled == [True] and log[-1] == "closed"


def test_a_failure_arrives_as_one_readable_signal(qtbot, runner):
    def failing():
        yield Progress(0, 1)
        raise ResandiError("cannot read the tracks", where="a.csv: line 3", hint="fix the column")

    failures = []
    runner.failed.connect(failures.append)
    with qtbot.waitSignal(runner.stopped, timeout=5000):
        runner.start("read", failing)
    (failure,) = failures
    assert failure.expected and "a.csv: line 3" in failure.message and "fix the column" in failure.message
    assert "Traceback" in failure.details


def test_a_crash_is_reported_as_unexpected_and_the_runner_is_free_again(qtbot, runner):
    def crashing():
        yield Progress(0, 1)
        raise ZeroDivisionError("boom")

    failures = []
    runner.failed.connect(failures.append)
    with qtbot.waitSignal(runner.stopped, timeout=5000):
        runner.start("crash", crashing)
    assert not failures[0].expected and failures[0].message == "ZeroDivisionError: boom"
    with qtbot.waitSignal(runner.stopped, timeout=5000):
        runner.start("again", lambda: counting_job(3, []))


def test_a_second_job_while_one_runs_is_refused(qtbot, runner):
    gate = threading.Event()
    with qtbot.waitSignal(runner.stopped, timeout=5000):
        runner.start("first", lambda: counting_job(3, [], gate))
        with pytest.raises(RuntimeError, match="still running"):
            runner.start("second", lambda: counting_job(3, []))
        gate.set()


def test_synchronous_mode_runs_on_the_calling_thread(qtbot, runner, monkeypatch):
    monkeypatch.setenv("RESANDI_GUI_SYNC", "1")
    log, landed = [], []
    runner.start("count", lambda: counting_job(5, log), on_finished=landed.append)
    assert landed == [10] and log[0] == ("thread", True) and not runner.busy


def test_jobs_collect_one_failure_per_file_and_keep_going(tmp_path):
    from resandi_core.batch import iter_read_files
    from resandi_core.progress import run_job

    good = tmp_path / "good.csv"
    good.write_text("track_id,frame,x,y\n" + "".join(f"1,{i},{i * 0.5},{i * 0.2}\n" for i in range(30)))
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing,useful\n1,2\n")
    outcomes = run_job(iter_read_files([bad, good, tmp_path / "missing.tif"]))
    assert [o.path for o in outcomes] == [bad, good, tmp_path / "missing.tif"]
    assert outcomes[0].failure and "bad.csv" in outcomes[0].failure
    assert outcomes[1].failure is None and outcomes[1].tracks.n_tracks == 1
    assert outcomes[2].failure and "missing.tif" in outcomes[2].failure


def test_signals_do_not_leak_references_to_true_or_none(qtbot):
    """PySide6 6.12.0 dropped a reference to True per emit and to None per void call,
    until Python aborted (bool_dealloc) after minutes of use; pyproject excludes it."""
    import sys

    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QLabel

    class Emitter(QObject):
        fired = Signal()

    emitter, label = Emitter(), QLabel()
    emitter.fired.connect(lambda: None)
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(500):
        emitter.fired.emit()
        label.setText("x")
    assert sys.getrefcount(True) - true_before > -50
    assert sys.getrefcount(None) - none_before > -50


def test_waiting_for_a_cancelled_job_returns_at_once(qtbot, runner):
    """Closing the app cancels and waits on the UI thread: no event loop runs meanwhile."""
    gate = threading.Event()
    with qtbot.waitSignal(runner.progress, timeout=5000):
        runner.start("count", lambda: counting_job(1000, [], gate, 0.01))
        gate.set()
    runner.cancel()
    start = time.perf_counter()
    assert runner.wait(10_000)
    assert time.perf_counter() - start < 5


def test_the_progress_bar_says_what_it_counts_and_when_it_ends(qtbot, runner):
    from resandi_gui.widgets.job_progress import JobProgress

    bar = JobProgress(runner)
    qtbot.addWidget(bar)
    bar._on_started("Linking movie.tif")
    bar.on_progress(Progress(10, 40, "movie.tif (1/1): locate"))
    assert "10 / 40 frames" in bar.label.text() and "ETA" in bar.label.text()
    bar.on_progress(Progress(5, 20, "cells.csv (1/2): classify"))
    assert "5 / 20 windows" in bar.label.text()
    bar.on_progress(Progress(1, 3, "something new"))
    assert "1 / 3," in bar.label.text()  # no unit rather than a wrong one


def test_queued_jobs_run_in_order_past_a_failure_then_idle_fires_once(qtbot, runner):
    def failing():
        yield Progress(0, 1)
        raise ResandiError("bad file")

    order, idle = [], []
    runner.idle.connect(lambda: idle.append(True))
    with qtbot.waitSignal(runner.idle, timeout=5000):
        runner.enqueue("first", lambda: counting_job(3, []), lambda r: order.append(("first", r)))
        runner.enqueue("second", failing, lambda r: order.append(("second", r)))
        runner.enqueue("third", lambda: counting_job(4, []), lambda r: order.append(("third", r)))
        assert not runner.is_idle
        runner.when_idle(lambda: order.append("idle"))
    assert order == [("first", 3), ("third", 6), "idle"] and idle == [True] and runner.is_idle

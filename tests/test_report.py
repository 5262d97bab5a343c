"""The report of a batch run: figures, HTML and PDF from a run folder (tests/report_fixture.py)."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_fixture import CONDITIONS, ERROR_FILE, write_synthetic_run

from resandi_core.errors import OutputError, ResandiError
from resandi_core.model.spec import CLASS_NAMES
from resandi_core.progress import Progress
from resandi_core.report import ReportPaths, iter_write_report, write_report
from resandi_core.report import build as report_build
from resandi_core.report.gallery import select_gallery
from resandi_core.report.load import load_run
from resandi_core.report.pdf_layout import fit_widths, pack, text_width, wrap
from resandi_core.report.style import slugify, unique_slugs
from resandi_core.report.tables import share_with_interval
from resandi_core.study import layout

PACKAGE = Path(__file__).resolve().parents[1] / "resandi_core" / "report"
SLUGS = {"control": "control", "drug 10 uM": "drug-10-um"}
PER_CONDITION = ("fractions", "confidence", "lengths", "alpha", "d_alpha", "emsd")
OTHER_FIGURES = ("comparison_fractions", "comparison_fractions_confident", "comparison_emsd",
                 "gallery_most_confident", "gallery_least_confident")
#: Pages of the fixture's PDF: methods and trust (1), summary tables (1), two per condition (4),
#: comparison (2: the shares, then the confident shares with the ensemble MSDs), gallery (2), errors (1).
FIXTURE_PAGES = 11


def figure_names(slugs) -> list[str]:
    return [f"{kind}_{slug}" for slug in slugs for kind in PER_CONDITION] + list(OTHER_FIGURES)


def pdf_pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", path.read_bytes()))


def expected_share(row: pd.Series, prefix: str, c: str) -> str:
    """What the report must print for a share, written out here independently of the report's code."""
    share, lo, hi = row[f"{prefix}_{c}"], row[f"{prefix}_{c}_lo"], row[f"{prefix}_{c}_hi"]
    return "–" if not np.isfinite(share) else f"{100 * share:.1f}% ({100 * lo:.1f}–{100 * hi:.1f})"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return write_synthetic_run(tmp_path_factory.mktemp("batch") / "run")


@pytest.fixture(scope="module")
def written(run_dir) -> tuple[ReportPaths, list[Progress]]:
    job = iter_write_report(run_dir)
    events = []
    while True:
        try:
            events.append(next(job))
        except StopIteration as stop:
            return stop.value, events


# ---- fast: reading, formatting, layout, failures -------------------------------------------------------------

def test_missing_run_folder_raises_naming_it(tmp_path):
    missing = tmp_path / "no_such_run"
    with pytest.raises(ResandiError) as error:
        write_report(missing)
    assert error.value.where == str(missing)
    assert "resandi batch" in error.value.hint
    assert not missing.exists()  # nothing created for a run that is not there


def test_missing_summary_raises_naming_the_file(tmp_path):
    run = write_synthetic_run(tmp_path / "run", tracks_per_file=3)
    (run / layout.SUMMARY_FILE).unlink()
    with pytest.raises(ResandiError) as error:
        write_report(run)
    assert error.value.where == str(run / layout.SUMMARY_FILE)
    assert not (run / layout.REPORT_FOLDER).exists()


def test_results_without_required_columns_raise(tmp_path):
    run = write_synthetic_run(tmp_path / "run", tracks_per_file=3)
    pd.DataFrame({"file": ["a"], "track_id": [1]}).to_csv(run / layout.RESULTS_FILE, index=False)
    with pytest.raises(ResandiError, match="condition"):
        load_run(run)


def test_load_keeps_names_as_text_and_flags_as_bool(tmp_path):
    run = write_synthetic_run(tmp_path / "run", conditions={"NA": ["NA/1.csv"], "007": ["007/2.csv"]},
                              tracks_per_file=5, with_error=False)
    data = load_run(run)
    assert data.conditions == ["NA", "007"]
    assert set(data.results["file"]) == {"NA/1.csv", "007/2.csv"}
    assert data.results["uncertain"].dtype == bool
    assert data.errors_recorded and data.errors.empty


def test_share_format_matches_summary_values():
    assert share_with_interval(0.2312, 0.18, 0.29) == "23.1% (18.0–29.0)"
    assert share_with_interval(float("nan"), float("nan"), float("nan")) == "–"


def test_slugs_are_file_safe_and_distinct():
    assert slugify("Drug A (10 µM)") == "drug-a-10-um"
    assert slugify("///") == "condition"
    assert list(unique_slugs(["a b", "a-b", "A B"]).values()) == ["a-b", "a-b-2", "a-b-3"]


def test_wrap_fits_the_width_and_breaks_long_words():
    text = "Trajectories were classified " * 20 + "ab12" * 40
    lines = wrap(text, 3.0, "body")
    assert all(text_width(line, "body") <= 3.0 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost


def test_fit_widths_keeps_narrow_columns():
    assert fit_widths([1.0, 1.0], 5.0) == [1.0, 1.0]
    widths = fit_widths([0.5, 4.0, 4.0], 5.0)
    assert widths[0] == 0.5 and widths[1] == widths[2] == pytest.approx(2.25)


def test_pack_starts_a_page_per_key_and_when_full():
    assert pack([3, 3, 3, 3, 3], ["a", "a", "a", "a", "b"], 10) == [[0, 1, 2], [3], [4]]


def test_gallery_takes_the_most_and_least_confident(run_dir):
    results = load_run(run_dir).results
    most, least = select_gallery(results, 6)
    ok = results[results["status"] == "ok"]["confidence"].sort_values()
    assert list(most["confidence"]) == list(ok.iloc[::-1].iloc[:6])
    assert list(least["confidence"]) == list(ok.iloc[:6])
    assert set(most.index).isdisjoint(least.index)


def test_a_failed_write_leaves_the_old_report(tmp_path, monkeypatch):
    run = write_synthetic_run(tmp_path / "run", tracks_per_file=4)
    out = run / layout.REPORT_FOLDER
    out.mkdir()
    (out / "report.html").write_text("old report", encoding="utf-8")

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report_build, "save_figure", full_disk)
    with pytest.raises(OutputError) as error:
        write_report(run)
    assert error.value.where == str(out)
    assert (out / "report.html").read_text(encoding="utf-8") == "old report"
    assert [p.name for p in out.rglob("*") if p.name.endswith(".part")] == []


def test_cancelling_leaves_no_half_report(tmp_path):
    run = write_synthetic_run(tmp_path / "run", tracks_per_file=4)
    job = iter_write_report(run)
    assert next(job) == Progress(0, next(job).total, "report")  # the start, then one figure drawn
    job.close()
    out = run / layout.REPORT_FOLDER
    assert not (out / "report.html").exists() and not (out / "report.pdf").exists()
    assert [p.name for p in out.rglob("*") if p.is_file()] == []


def test_package_imports_only_what_its_docstring_allows():
    init = (PACKAGE / "__init__.py").read_text(encoding="utf-8")
    assert any(line.startswith("May import:") for line in ast.get_docstring(ast.parse(init)).splitlines())
    allowed = ("resandi_core.study.layout", "resandi_core.model.spec", "resandi_core.atomic", "resandi_core.errors",
               "resandi_core.progress", "resandi_core.units", "resandi_core.report")
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:  # relative: resolve against resandi_core.report
                    module = ".".join([*["resandi_core", "report"][: 3 - node.level], *([module] if module else [])])
                names = [f"{module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                assert "pyplot" not in name and "PySide" not in name, f"{path.name} imports {name}"
                if name.startswith("resandi_core"):
                    assert name.startswith(allowed), f"{path.name} imports {name}"
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 400, path.name


# ---- slow: whole reports -------------------------------------------------------------------------------------

@pytest.mark.slow
def test_report_files_and_progress(written, run_dir):
    paths, events = written
    assert paths.html == run_dir / "report" / "report.html" and paths.html.stat().st_size > 10_000
    assert paths.pdf.read_bytes().startswith(b"%PDF")
    for name in figure_names(SLUGS.values()):
        for suffix in (".png", ".svg", ".csv"):
            assert (paths.figures / f"{name}{suffix}").stat().st_size > 0, name + suffix
    assert (paths.figures / "fractions_control.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {e.stage for e in events} == {"report"}
    assert [e.done for e in events] == sorted(e.done for e in events)
    assert events[0].done == 0 and events[-1].done == events[-1].total
    assert [p.name for p in run_dir.rglob("*.part")] == []


@pytest.mark.slow
def test_html_holds_every_condition_file_and_summary_number(written, run_dir):
    html = written[0].html.read_text(encoding="utf-8")
    summary = pd.read_csv(run_dir / layout.SUMMARY_FILE, dtype={"condition": str, "file": str})
    for condition, files in CONDITIONS.items():
        assert condition in html
        for file in files:
            assert file in html
    assert ERROR_FILE[0] in html and "lower --minmass" in html  # the failed file, why, and what to do
    for _, row in summary[summary["level"] == "condition"].iterrows():
        for c in CLASS_NAMES:
            assert expected_share(row, "frac", c) in html, (row["condition"], c)
            assert expected_share(row, "conf_frac", c) in html, (row["condition"], c)
        for key in ("n_tracks", "n_classified", "n_confident"):
            assert f">{int(row[key])}<" in html
    assert "ab12" * 16 in html and "resandi batch control/ drug/ --out run" in html  # weights hash, command
    assert "2.69" in html and "below 0.5" in html  # temperature, uncertain rule
    # self-contained: every figure embedded, nothing fetched
    assert html.count("data:image/png;base64,") == len(figure_names(SLUGS.values()))
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<script" not in html


@pytest.mark.slow
def test_fraction_figure_numbers_are_summary_numbers(written, run_dir):
    summary = pd.read_csv(run_dir / layout.SUMMARY_FILE, dtype={"condition": str, "file": str})
    for condition, slug in SLUGS.items():
        row = summary[(summary["level"] == "condition") & (summary["condition"] == condition)].iloc[0]
        numbers = pd.read_csv(written[0].figures / f"fractions_{slug}.csv")
        assert list(numbers["class"]) == list(CLASS_NAMES)
        for column, prefix in (("frac", "frac_"), ("frac_lo", "frac_"), ("conf_frac_hi", "conf_frac_")):
            end = column.removeprefix("conf_frac").removeprefix("frac")
            expected = [row[f"{prefix}{c}{end}"] for c in CLASS_NAMES]
            np.testing.assert_array_equal(numbers[column].to_numpy(), np.asarray(expected, dtype=float))
        assert list(numbers["n"]) == [row[f"n_{c}"] for c in CLASS_NAMES]
    shares = pd.read_csv(written[0].figures / "comparison_fractions.csv", dtype={"condition": str})
    assert set(shares["condition"]) == set(CONDITIONS)


@pytest.mark.slow
def test_pdf_pages_and_metadata(written):
    pdf = written[0].pdf
    assert pdf_pages(pdf) == FIXTURE_PAGES
    data = pdf.read_bytes()
    assert b"/Title" in data and b"/CreationDate" in data and b"/Creator" in data


@pytest.mark.slow
def test_empty_run_renders_over_an_existing_report(written, tmp_path):
    # An existing report (of another run) in the output folder: overwritten, its stale figures removed.
    out = tmp_path / "report"
    shutil.copytree(written[0].html.parent, out)
    run = write_synthetic_run(tmp_path / "empty", conditions={"washout": ["washout/cell_09.csv"]},
                              all_skipped=True, with_emsd=False, with_error=False)
    for optional in (layout.RUN_FILE, layout.TRACKS_FILE, layout.GRADCAM_FILE):  # only the tables that must be there
        (run / optional).unlink()
    paths = write_report(run, out)
    html = paths.html.read_text(encoding="utf-8")
    assert "weights SHA-256 not recorded" in html and "run.json is missing" in html
    assert "washout" in html and "washout/cell_09.csv" in html
    assert "No track of this run was classified" in html
    assert "No file failed." in html
    assert "Condition: control" not in html and "Condition: washout" in html
    names = {p.stem for p in paths.figures.iterdir()}
    assert names == set(figure_names(["washout"]))  # the other run's figures are gone
    assert pdf_pages(paths.pdf) == FIXTURE_PAGES - 2  # one condition fewer
    shares = pd.read_csv(paths.figures / "fractions_washout.csv")
    assert shares["frac"].isna().all()
    assert [p.name for p in out.rglob("*.part")] == []

"""The report's words: the methods paragraph, the run details, and "how far to trust this".

Written from run.json so that a reader can reproduce the run: software, model and
its weights' checksum, its measured accuracy, preprocessing, linking, calibration,
the uncertain rule, units, date and the exact command line. Every value may be
missing from an older or partial run.json; it then reads "not recorded".
"""

from __future__ import annotations

import datetime as _dt
from importlib import metadata
from typing import Any

from ..model.spec import CLASS_NAMES
from . import tables
from .load import RunData, nested

NOT_RECORDED = "not recorded"


def report_software() -> str:
    """``"resandi 0.1.0"``: the software writing the report (may differ from the one that ran the batch)."""
    try:
        return f"resandi {metadata.version('resandi')}"
    except metadata.PackageNotFoundError:
        return "resandi (version unknown)"


def now() -> str:
    """The local date and time, to the minute, with its UTC offset."""
    return _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z")


def _value(value: Any) -> str:
    if value is None or value == "" or value == {}:
        return NOT_RECORDED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} = {_value(v) if v is not None else 'none'}" for k, v in value.items())
    return str(value)


def recorded(run: dict[str, Any], *keys: str) -> str:
    return _value(nested(run, *keys))


def _accuracy(run: dict[str, Any]) -> str:
    metrics = nested(run, "model", "test_metrics")
    if not isinstance(metrics, dict) or not tables.is_number(metrics.get("accuracy")):
        return "Its measured accuracy is not recorded."
    text = f"On its test set of {tables.count(metrics.get('n'))} simulated trajectories it was right " \
           f"{tables.percent(metrics['accuracy'])} of the time"
    per_class = metrics.get("per_class_accuracy")
    if isinstance(per_class, dict) and per_class:
        text += " (per class: " + ", ".join(f"{c} {tables.percent(per_class[c])}" for c in CLASS_NAMES
                                            if c in per_class) + ")"
    return text + "."


def _calibration(run: dict[str, Any]) -> str:
    calibration = run.get("calibration")
    if not isinstance(calibration, dict) or not calibration:
        return "Whether confidences were calibrated is not recorded."
    text = f"Confidences are calibrated by temperature scaling (T = {tables.number(calibration.get('temperature'))}"
    if calibration.get("noise_temperatures"):
        text += ", with one temperature per band of estimated localisation noise"
    text += ")"
    if tables.is_number(calibration.get("ece_raw")) and tables.is_number(calibration.get("ece_calibrated")):
        text += (f"; on validation data the expected calibration error fell from "
                 f"{tables.percent(calibration['ece_raw'])} to {tables.percent(calibration['ece_calibrated'])}")
    return text + "."


def uncertain_rule(run: dict[str, Any]) -> str:
    """The rule that flags a track uncertain, in words."""
    trust = run.get("trust")
    if not isinstance(trust, dict) or "min_confidence" not in trust:
        return "The rule that flags a track uncertain is not recorded (see results.csv's uncertain_reason column)."
    return (f"A track is flagged uncertain when its calibrated confidence is below "
            f"{recorded(run, 'trust', 'min_confidence')} or it has fewer than "
            f"{recorded(run, 'trust', 'min_points')} points.")


def _units(run: dict[str, Any]) -> str:
    files = run.get("files")
    if not isinstance(files, list) or not files:
        return "Units: not recorded."
    done = [f for f in files if isinstance(f, dict) and f.get("status") != "failed"]
    position = sorted({str(f.get("position_unit") or NOT_RECORDED) for f in done})
    interval = sorted({f"{float(f['frame_interval_s']):g} s" if tables.is_number(f.get("frame_interval_s"))
                       else "not known (times in frames)" for f in done})
    return (f"Positions are in {', '.join(position) or NOT_RECORDED}; frame interval "
            f"{', '.join(interval) or NOT_RECORDED}. α and D come from each track's time-averaged MSD, fitted as "
            "MSD = 4 D t^α; D is in (position unit)²/(time unit)^α.")


def methods_paragraphs(data: RunData) -> list[str]:
    """The methods section as paragraphs of plain text (the command line is given apart, see :func:`command`)."""
    run = data.run
    model = f"“{recorded(run, 'model', 'name')}”"
    if nested(run, "model", "description"):
        model += f" ({recorded(run, 'model', 'description')})"
    first = (f"Trajectories were classified into eight anomalous-diffusion classes ({', '.join(CLASS_NAMES)}) by a "
             f"1-D ResNet18 with {recorded(run, 'software')}, model {model}, weights SHA-256 "
             f"{recorded(run, 'model', 'sha256')}. {_accuracy(run)}")
    if nested(run, "model", "trained") is False:
        first += " WARNING: this model's weights are untrained (random): its classes mean nothing."
    pre = run.get("preprocessing") if isinstance(run.get("preprocessing"), dict) else {}
    second = (f"Each trajectory was preprocessed as the model was trained: normalisation: "
              f"{_value(pre.get('normalisation'))}; scaling: {_value(pre.get('scaling'))}; padding: "
              f"{_value(pre.get('padding'))}; input length {_value(pre.get('input_length'))} points. "
              f"Classification options: {recorded(run, 'options', 'classify')}. Grad-CAM scores are those of the "
              "predicted class unless a target class is given above.")
    linking = nested(run, "options", "linking")
    third = (f"Movies, if any, were located and linked with trackpy ({_value(linking)})."
             if isinstance(linking, dict) and linking else "Linking parameters: not recorded (or no movie was linked).")
    read = nested(run, "options", "read")
    if isinstance(read, dict) and read:
        third += f" Track files were read with: {_value(read)}."
    return [first, second, third, f"{_calibration(run)} {uncertain_rule(run)}", _units(run),
            (f"The batch ran on {recorded(run, 'created')}; this report was written on {now()} by "
             f"{report_software()} from its output folder. The command line was:")]


def command(data: RunData) -> str:
    """The exact command line of the batch, or "not recorded"."""
    return recorded(data.run, "command")


def run_details(data: RunData) -> list[tuple[str, str]]:
    """Key–value rows of how the batch ran (for a reader checking one setting)."""
    run = data.run
    rows = [("software", recorded(run, "software")), ("created", recorded(run, "created")), ("command", command(data)),
            ("run folder", str(data.run_dir))]
    for key in ("name", "path", "sha256", "description", "trained"):
        rows.append((f"model {key}", recorded(run, "model", key)))
    rows += [("test accuracy", _accuracy(run)), ("calibration", recorded(run, "calibration")),
             ("trust rule", recorded(run, "trust")), ("preprocessing", recorded(run, "preprocessing"))]
    for key in ("read", "linking", "classify"):
        rows.append((f"{key} options", recorded(run, "options", key)))
    if data.run_note:
        rows.append(("note", data.run_note))
    return rows


def trust_paragraphs(data: RunData) -> list[str]:
    """How far to trust the shares: the uncertain fraction, what the flag means, what the intervals do not cover."""
    ok = data.classified()
    if ok.empty:
        return [("No track was classified, so there is nothing to trust yet: the track-length figures and "
                "results.csv's message column say why tracks were skipped.")]
    n_unsure = int(ok["uncertain"].sum())
    reasons = "; ".join(f"{reason}: {n}" for reason, n in tables.uncertain_counts(data.results).items())
    paragraphs = [
        f"Of the {len(ok):,} classified tracks, {n_unsure:,} ({tables.percent(n_unsure / len(ok))}) are flagged "
        f"uncertain" + (f" ({reasons})" if reasons else "") + f". {uncertain_rule(data.run)} Such an answer should "
        "not be used on its own. The confident-only shares leave these tracks out; where a class's share differs "
        "much between all tracks and confident ones, that class is being called mostly on weak evidence.",
        ("The 95% intervals (Wilson score) count only how many tracks were seen: they narrow with more tracks but "
        "say nothing about the model's own errors, which do not average out. A class the model confuses with "
        "another is over- or under-counted in every condition alike, so differences between conditions are more "
        "reliable than the shares themselves."),
    ]
    trust = data.run.get("trust") if isinstance(data.run.get("trust"), dict) else {}
    measured = ""
    if tables.is_number(trust.get("accuracy_confident")) and tables.is_number(trust.get("accuracy_uncertain")):
        measured = (f" On validation data, confident answers were right {tables.percent(trust['accuracy_confident'])}"
                    f" of the time and uncertain ones {tables.percent(trust['accuracy_uncertain'])}.")
    noisy = int(ok["noise_beyond_training"].sum())
    paragraphs.append(
        "The model's accuracy was measured on simulated trajectories; real tracks, with localisation noise, "
        f"blinking, drift and linking errors, are harder.{measured} "
        + (f"{noisy:,} classified tracks ({tables.percent(noisy / len(ok))}) seem noisier than anything the model "
           "was trained on (results.csv's noise_beyond_training): treat their classes with extra care."
           if noisy else "No classified track was flagged as noisier than the model's training data."))
    return paragraphs

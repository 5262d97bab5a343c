"""Tiny end-to-end runs of generate -> train -> cancel/resume -> evaluate -> augment -> experiments.

Toy scale (a few hundred trajectories, a few optimiser steps): the numbers are
meaningless, the machinery is what is checked. CI runs these too.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from resandi_core.model.gradcam import upsample
from resandi_core.model.store import load_model_folder
from resandi_core.progress import run_job
from resandi_core.training.augment import mean_gradcam_scores, select_random, select_targeted
from resandi_core.training.evaluate import Evaluation, iter_evaluate
from resandi_core.training.experiments import decile_masks, effective_sigmas, iter_erasure, iter_noise, summarise_noise
from resandi_core.training.loop import EarlyStopping, TrainConfig, TrainingError, batch_items, iter_train
from resandi_core.training.synth import DatasetSpec, generate_dataset, load_dataset

pytestmark = pytest.mark.slow

TINY = TrainConfig(max_epochs=2, steps_per_epoch=3, batch_size=8, seed=1, precision="fp32")


@pytest.fixture(scope="module")
def data_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("training")
    generate_dataset(root / "train", DatasetSpec(n_per_class=30, seed=1, shard_size=15), workers=2)
    generate_dataset(root / "test", DatasetSpec(n_per_class=8, seed=2, shard_size=8), workers=1)
    return root


@pytest.fixture(scope="module")
def trained(data_dirs):
    out = data_dirs / "model"
    run_job(iter_train(data_dirs / "train", out, TINY))
    return out


def _state(folder):
    return load_model_folder(folder).network.state_dict()


def test_training_writes_a_model_folder_with_its_card(trained, data_dirs):
    model = load_model_folder(trained)
    assert model.trained
    history = pd.read_csv(trained / "history.csv")
    assert history["epoch"].tolist() == [1, 2]
    assert np.isfinite(history[["loss", "val_loss"]].to_numpy()).all()
    card = (trained / "model_card.md").read_text()
    assert "30 per class, seed 1" in card and '"lr": 0.0001' in card and "andi-datasets" in card
    training = model.config["training"]
    assert training["epochs"] == 2 and training["data"]["n_per_class"] == 30
    assert training["best_epoch"] == int(history.loc[history["val_loss"].idxmin(), "epoch"])


def test_cancel_then_resume_equals_an_uninterrupted_run(trained, data_dirs):
    out = data_dirs / "cancelled"
    job = iter_train(data_dirs / "train", out, TINY)
    for event in job:
        if event.event == "step" and event.done == 4:  # inside epoch 2
            job.close()
            break
    assert (out / "checkpoint.pt").is_file() and not (out / "model.safetensors").exists()
    with pytest.raises(TrainingError, match="resume"):
        run_job(iter_train(data_dirs / "train", out, TINY))
    run_job(iter_train(data_dirs / "train", out, TINY, resume=True))
    resumed, straight = _state(out), _state(trained)
    assert all(torch.equal(resumed[k], straight[k]) for k in straight)
    assert pd.read_csv(out / "history.csv")["val_loss"].tolist() == pytest.approx(
        pd.read_csv(trained / "history.csv")["val_loss"].tolist(), abs=0)


def test_progress_events_carry_epoch_loss_and_eta(data_dirs):
    events = []
    run_job(iter_train(data_dirs / "train", data_dirs / "events", TINY), events.append)
    steps = [e for e in events if e.event == "step"]
    assert [e.done for e in steps] == list(range(1, 7)) and steps[0].total == 6
    assert all(math.isfinite(e.loss) and 0 <= e.accuracy <= 1 for e in steps)
    assert math.isfinite(steps[-1].samples_per_s) and steps[-2].eta_s >= 0
    epochs = [e for e in events if e.event == "epoch"]
    assert [e.epoch for e in epochs] == [1, 2] and all(math.isfinite(e.val_loss) for e in epochs)
    assert events[-1].event == "done"


def test_batches_are_deterministic_and_cover_each_pass():
    first_pass = np.concatenate([batch_items(20, 4, 3, g) for g in range(5)])
    assert sorted(first_pass.tolist()) == list(range(20))
    assert np.array_equal(batch_items(20, 4, 3, 7), batch_items(20, 4, 3, 7))
    assert not np.array_equal(batch_items(20, 4, 3, 5), batch_items(20, 4, 3, 0))  # new pass, new order


def test_early_stopping_counts_patience_with_min_delta():
    stopping = EarlyStopping(patience=2, min_delta=0.01)
    assert stopping.update(1.0, 1)
    assert not stopping.update(0.995, 2)  # less than min_delta better
    assert not stopping.stop
    assert not stopping.update(0.999, 3)
    assert stopping.stop and stopping.best_epoch == 1


def test_bad_recipes_are_refused():
    with pytest.raises(TrainingError, match="augment_model"):
        TrainConfig(augment="targeted")
    with pytest.raises(TrainingError, match="batch_size"):
        TrainConfig(batch_size=0)


def test_evaluation_tables_and_confusion(trained, data_dirs, tmp_path):
    from resandi_core.training.evaluate import write_evaluation

    data = load_dataset(data_dirs / "test")
    evaluation = run_job(iter_evaluate(load_model_folder(trained), data, device="cpu"))
    assert evaluation.n == 64
    counts = evaluation.confusion_counts()
    assert counts.sum() == 64 and counts.sum(axis=1).tolist() == [8] * 8
    np.testing.assert_allclose(evaluation.confusion_percent().sum(axis=1), 100)
    assert evaluation.accuracy == pytest.approx(np.trace(counts) / 64)
    assert evaluation.by_length()["n"].sum() == 64
    written = write_evaluation(evaluation, tmp_path, "toy")
    assert {p.name for p in written} >= {"confusion.csv", "confusion.png", "metrics.json"}
    assert (tmp_path / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = pd.read_csv(tmp_path / "confusion.csv", index_col=0)
    assert list(table.index) == list(table.columns) and table.shape == (8, 8)


def test_confusion_matrix_layout_rows_are_true_classes():
    evaluation = Evaluation(labels=np.array([0, 0, 1]), predictions=np.array([0, 7, 1]),
                            probabilities=np.zeros((3, 8)), lengths=np.array([10, 20, 30]), alphas=np.ones(3))
    counts = evaluation.confusion_counts()
    assert counts[0, 0] == 1 and counts[0, 7] == 1 and counts[1, 1] == 1
    assert evaluation.confusion_percent()[0, 7] == 50


def test_targeted_selection_takes_the_top_fraction_per_class():
    pool = np.arange(10, 20)
    labels = np.array([0] * 5 + [1] * 5)
    scores = np.array([5, 1, 4, 2, 3, 0, 9, 8, 7, 6], dtype=float)
    chosen = select_targeted(pool, labels, scores, 0.6)
    assert chosen.tolist() == [10, 12, 14, 16, 17, 18]
    random = select_random(pool, labels, 0.6, seed=0)
    assert np.bincount(labels[random - 10]).tolist() == [3, 3]


def test_mean_gradcam_score_is_the_mean_of_the_upsampled_map():
    maps = np.random.default_rng(0).normal(size=(4, 8, 32))
    targets = np.array([0, 3, 7, 2])
    expected = [upsample(maps[i, t]).mean() for i, t in enumerate(targets)]
    np.testing.assert_allclose(mean_gradcam_scores(maps, targets), expected)


def test_targeted_augmentation_adds_rotated_copies(trained, data_dirs):
    out = data_dirs / "targeted"
    config = TrainConfig(max_epochs=1, steps_per_epoch=1, batch_size=8, precision="fp32",
                         augment="targeted", augment_model=str(trained), augment_pool=10, augment_fraction=0.6)
    job = iter_train(data_dirs / "train", out, config)
    for event in job:  # the chosen copies are on disk before the first step (a kill must not lose them)
        if getattr(event, "event", None) == "step":
            early = torch.load(out / "checkpoint.pt", weights_only=False)
            assert early["global_step"] == 0 and np.isfinite(early["items"]["rotations"]).sum() == 8 * 6
    checkpoint = torch.load(out / "checkpoint.pt", weights_only=False)
    rotations = checkpoint["items"]["rotations"]
    assert np.isfinite(rotations).sum() == 8 * 6  # 60% of a pool of 10 per class
    data = load_dataset(data_dirs / "train")
    copies = checkpoint["items"]["indices"][np.isfinite(rotations)]
    assert np.bincount(data.labels[copies], minlength=8).tolist() == [6] * 8


def test_rotation_keeps_the_shape_of_the_normalised_track(data_dirs):
    data = load_dataset(data_dirs / "train")
    plain = data.inputs(np.array([0]))
    turned = data.inputs(np.array([0]), np.array([np.pi]))  # 180 degrees mirrors both axes
    np.testing.assert_allclose(turned[0], 1 - plain[0], atol=1e-5)


def test_noise_sigmas_follow_the_recipe():
    from resandi_core.training.augment import draw_noise_sigmas

    rng = np.random.default_rng(0)
    assert draw_noise_sigmas(TrainConfig(), 100, rng) is None  # the paper's noiseless training
    config = TrainConfig(noise_augment="loguniform", noise_sigma_min=0.05, noise_sigma_max=1.0,
                         noise_clean_fraction=0.25)
    sigmas = draw_noise_sigmas(config, 20_000, rng)
    assert (sigmas == 0).mean() == pytest.approx(0.25, abs=0.02)
    noisy = sigmas[sigmas > 0]
    assert 0.05 <= noisy.min() and noisy.max() <= 1.0
    assert np.median(np.log(noisy)) == pytest.approx(np.log(np.sqrt(0.05)), abs=0.05)  # log-uniform
    uniform = draw_noise_sigmas(TrainConfig(noise_augment="uniform", noise_clean_fraction=0.0), 20_000, rng)
    assert np.median(uniform) == pytest.approx(0.5, abs=0.02)
    with pytest.raises(TrainingError, match="loguniform"):
        TrainConfig(noise_augment="loguniform", noise_sigma_min=0.0)
    with pytest.raises(TrainingError, match="noise_augment"):
        TrainConfig(noise_augment="pink")


def test_noisy_inputs_are_renormalised_like_a_real_noisy_track(data_dirs):
    from resandi_core.model.preprocess import andi_normalise, pad_and_scale

    data = load_dataset(data_dirs / "train")
    index = np.array([3])
    clean = data.inputs(index, noise_sigmas=np.array([0.0]), rng=np.random.default_rng(1))
    np.testing.assert_array_equal(clean, data.inputs(index))
    noisy = data.inputs(index, noise_sigmas=np.array([0.5]), rng=np.random.default_rng(1))
    # the classifier's own path on the same noisy positions
    positions = andi_normalise(data.trajectory(3)) + 0.5 * np.random.default_rng(1).standard_normal(
        (len(data.trajectory(3)), 2))
    np.testing.assert_allclose(noisy[0], pad_and_scale(andi_normalise(positions)), atol=1e-6)
    assert not np.allclose(noisy, clean)


def test_training_with_noise_resumes_exactly_and_calibrates_on_its_validation_set(data_dirs):
    noisy = TrainConfig(max_epochs=1, steps_per_epoch=4, batch_size=8, seed=2, precision="fp32",
                        noise_augment="uniform", noise_sigma_max=0.8, bn_recalibration_batches=2)
    straight, resumed = data_dirs / "noisy", data_dirs / "noisy-resumed"
    val = data_dirs / "test"
    run_job(iter_train(data_dirs / "train", straight, noisy, val_dir=val))
    job = iter_train(data_dirs / "train", resumed, noisy, val_dir=val)
    for event in job:
        if getattr(event, "event", None) == "step" and event.done == 2:
            job.close()
            break
    run_job(iter_train(data_dirs / "train", resumed, noisy, val_dir=val, resume=True))
    a, b = _state(straight), _state(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)
    config = load_model_folder(straight).config
    assert config["training"]["recipe"]["noise_augment"] == "uniform"
    # calibrated at the end, on the validation set with the training's noise mixture
    assert "uniform(0, 0.8)" in config["calibration"]["mixture"] and config["trust"]["min_points"] >= 10
    assert config["calibration"]["temperature"] == load_model_folder(resumed).config["calibration"]["temperature"]


def test_calibration_is_written_into_the_model_and_used_by_classify(trained, data_dirs, tmp_path):
    import shutil

    from cli_runner import run_cli
    from factories import mixed_tracks_table

    from resandi_core.classify import PROB_COLUMNS, classify_tracks
    from resandi_core.model.calibration import calibrated_probabilities, track_temperatures

    folder = shutil.copytree(trained, tmp_path / "model")
    run = run_cli("calibrate", "--model", folder, "--data", data_dirs / "test", "--noise-augment", "uniform",
                  "--noise-sigma-max", "0.5", "--min-confidence", "0.2", "--device", "cpu")
    assert run.returncode == 0, run.stderr
    assert "temperature" in run.stdout and "expected calibration error" in run.stdout
    model = load_model_folder(folder)  # still a valid folder: the weights' checksum is untouched
    cal, trust = model.config["calibration"], model.config["trust"]
    assert cal["temperature"] > 0 and cal["n"] == 64 and "uniform(0, 0.5)" in cal["mixture"]
    assert len(cal["noise_temperatures"]) == len(cal["noise_edges"]) - 1
    assert 0 <= cal["ece_calibrated"] <= 1 and trust["min_confidence"] == 0.2 and trust["min_points"] >= 10
    assert (folder / "calibration" / "reliability.png").read_bytes()[:4] == b"\x89PNG"
    card = (folder / "model_card.md").read_text()
    assert card.count("## Calibration and trust") == 1 and f"T = {cal['temperature']:.3f}" in card

    table = mixed_tracks_table(n_tracks=5, seed=3, n_too_short=0, n_with_gaps=0, max_length=300)
    result = classify_tracks(table, model, device="cpu")
    logits = result.windows[[c.replace("prob_", "logit_") for c in PROB_COLUMNS]].to_numpy()
    # each window with its track's temperature, chosen by the track's estimated noise
    noise = result.tracks.set_index("track_id")["noise_est_steps"]
    expected = calibrated_probabilities(logits, track_temperatures(model.config, noise[result.windows["track_id"]]))
    np.testing.assert_allclose(result.windows[PROB_COLUMNS].to_numpy(), expected, rtol=1e-6)
    assert {"uncertain", "family", "noise_est", "noise_est_steps"} <= set(result.tracks.columns)


def test_erasure_and_noise_experiments(trained, data_dirs):
    model = load_model_folder(trained)
    data = load_dataset(data_dirs / "test")
    table = run_job(iter_erasure(model, data, device="cpu"))
    assert table["decile"].tolist()[:2] == ["0-10", "10-20"] and len(table) == 11
    assert table["accuracy_targeted"].between(0, 100).all()
    noise = run_job(iter_noise({"targeted": [model]}, data, levels=(0.0, 0.5), device="cpu"))
    assert noise["sigma_nominal"].tolist() == [0.0, 0.5]
    assert noise["accuracy"].iloc[0] == pytest.approx(table.loc[table["decile"] == "none", "accuracy_targeted"].item())
    summary = summarise_noise(noise)
    assert summary["paper_accuracy"].tolist() == [85.77, 49.43]


def test_deciles_partition_the_points():
    scores = np.random.default_rng(1).normal(size=(3, 1000))
    masks = decile_masks(scores)
    assert np.array_equal(masks.sum(axis=0), np.ones((3, 1000)))
    assert masks.sum(axis=2).min() >= 95  # ~100 points each


def test_cumulative_noise_protocol_matches_the_authors_real_sigma():
    sigmas = effective_sigmas((0.1, 0.2, 0.3, 0.4, 0.5), "cumulative")
    assert sigmas[-1] == pytest.approx(0.74, abs=0.005)  # REFERENCE.md: nominal 0.5 was really 0.74


def test_cli_generate_train_evaluate_experiment(tmp_path, monkeypatch):
    from cli_runner import run_cli as resandi

    run = resandi("generate", "--n-per-class", 12, "--out", tmp_path / "d", "--seed", 3, "--shard-size", 6, "-q")
    assert run.returncode == 0, run.stderr
    run = resandi("train", "--data", tmp_path / "d", "--out", tmp_path / "m", "--max-epochs", 1,
                  "--steps-per-epoch", 2, "--batch-size", 8, "--precision", "fp32", "--test-data", tmp_path / "d", "-q")
    assert run.returncode == 0, run.stderr
    card = (tmp_path / "m" / "model_card.md").read_text()
    assert "## Measured test metrics" in card and "Confusion matrix" in card
    metrics = json.loads((tmp_path / "m" / "config.json").read_text())["test_metrics"]
    assert metrics["n"] == 96 and len(metrics["confusion_percent"]) == 8
    run = resandi("experiment", "erasure", "--model", tmp_path / "m", "--data", tmp_path / "d", "--out", tmp_path / "x", "-q")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "x" / "erasure.png").is_file()
    run = resandi("train", "--data", tmp_path / "nowhere", "--out", tmp_path / "m2")
    assert run.returncode == 1 and "no manifest.json" in run.stderr and "Traceback" not in run.stderr


def test_batchnorm_recalibration_uses_the_frozen_weights(data_dirs):
    from resandi_core.model.resandi import ResAnDi
    from resandi_core.training.loop import recalibrate_batchnorm

    data = load_dataset(data_dirs / "train")
    torch.manual_seed(0)
    network = ResAnDi()
    indices = np.arange(16)
    recalibrate_batchnorm(network, data, indices, batches=1, batch_size=16)
    assert not network.training
    with torch.no_grad():
        stem = network.conv1(torch.from_numpy(data.inputs(indices)))  # the first BatchNorm's input
    torch.testing.assert_close(network.bn1.running_mean, stem.mean(dim=(0, 2)), rtol=1e-4, atol=1e-5)
    assert network.bn1.momentum == 0.1  # restored

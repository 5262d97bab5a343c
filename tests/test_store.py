import json
import os
import shutil

import pytest
import torch

from resandi_core.atomic import atomic_write
from resandi_core.errors import ModelFolderError
from resandi_core.model.registry import list_models, load_model
from resandi_core.model.store import (
    load_model_folder,
    random_network,
    save_model_folder,
    write_untrained_model,
)


@pytest.fixture
def model_copy(untrained_model_dir, tmp_path):
    return shutil.copytree(untrained_model_dir, tmp_path / "copy")


def test_round_trip_keeps_every_weight(untrained_model):
    ref = random_network(0).state_dict()
    got = untrained_model.network.state_dict()
    assert ref.keys() == got.keys()
    assert all(torch.equal(ref[k], got[k]) for k in ref)
    assert not untrained_model.trained
    assert untrained_model.config["weights"]["sha256"]
    assert untrained_model.classes[7] == "BM"


def test_float16_storage_loads_as_float32(tmp_path):
    network = random_network(1)
    folder = save_model_folder(network, tmp_path / "half", card_text="# half\n", trained=False, weights_dtype="float16")
    loaded = load_model_folder(folder)
    weight = loaded.network.conv1.weight
    assert weight.dtype == torch.float32
    torch.testing.assert_close(weight, network.conv1.weight.half().float())
    assert loaded.config["weights"]["dtype"] == "float16"
    assert 36e6 < (folder / "model.safetensors").stat().st_size < 38e6


@pytest.mark.parametrize("name", ["config.json", "model.safetensors", "model_card.md"])
def test_missing_file_is_named(model_copy, name):
    (model_copy / name).unlink()
    with pytest.raises(ModelFolderError, match=name.replace(".", r"\.")):
        load_model_folder(model_copy)


def test_truncated_weights(model_copy):
    weights = model_copy / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFolderError, match="truncated") as info:
        load_model_folder(model_copy)
    assert "model.safetensors" in str(info.value) and "copy" in str(info.value)


def test_altered_weights_fail_the_checksum(model_copy):
    weights = model_copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelFolderError, match="sha256"):
        load_model_folder(model_copy)


def test_bad_config(model_copy):
    (model_copy / "config.json").write_text("{not json")
    with pytest.raises(ModelFolderError, match="not valid JSON"):
        load_model_folder(model_copy)
    (model_copy / "config.json").write_text(json.dumps({"format_version": 99}))
    with pytest.raises(ModelFolderError, match="newer"):
        load_model_folder(model_copy)


def test_config_without_checksum_is_refused(model_copy):
    config = json.loads((model_copy / "config.json").read_text())
    del config["weights"]["sha256"]
    (model_copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFolderError, match="cannot be verified"):
        load_model_folder(model_copy)


def test_not_a_folder(tmp_path):
    with pytest.raises(ModelFolderError, match="not found"):
        load_model_folder(tmp_path / "nowhere")


def test_models_by_name_from_the_user_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("RESANDI_MODELS_DIR", str(tmp_path))
    write_untrained_model(tmp_path / "mine", seed=2)
    infos = [m for m in list_models() if m.origin == "user"]
    assert [(m.name, m.trained) for m in infos] == [("mine", False)]
    assert load_model("mine").path == tmp_path / "mine"
    with pytest.raises(ModelFolderError, match="known models: .*mine"):
        load_model("yours")


def test_default_model_missing_says_what_to_do(monkeypatch, tmp_path):
    import resandi_core.model.registry as registry

    monkeypatch.setattr(registry, "bundled_models_dir", lambda: tmp_path)  # an installation without models
    with pytest.raises(ModelFolderError, match="--model"):
        load_model(None)


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "results.csv"
    target.write_text("good\n")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as handle:
            handle.write("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "good\n"
    assert list(tmp_path.iterdir()) == [target]
    with atomic_write(target) as handle:
        handle.write("new\n")
    assert target.read_text() == "new\n"


def test_copy_model_to_float16_keeps_card_and_training_record(model_copy, tmp_path):
    from resandi_core.model.store import copy_model_folder

    config = json.loads((model_copy / "config.json").read_text())
    config["training"] = {"epochs": 3}
    (model_copy / "config.json").write_text(json.dumps(config))  # checksum still matches the weights
    out = copy_model_folder(model_copy, tmp_path / "half", weights_dtype="float16", card_preamble="# Note\nhalf size")
    copied = load_model_folder(out)
    assert copied.config["weights"]["dtype"] == "float16" and copied.config["training"] == {"epochs": 3}
    card = (out / "model_card.md").read_text()
    assert card.startswith("# Note\nhalf size") and "UNTRAINED" in card
    torch.testing.assert_close(copied.network.conv1.weight, load_model_folder(model_copy).network.conv1.weight.half().float())


def test_temporaries_of_a_killed_writer_are_removed_by_the_next_write(tmp_path):
    import subprocess
    import sys

    from resandi_core.atomic import remove_stale_temporaries

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)  # a process that has ended
    stale = tmp_path / f".results.csv.{dead_pid}.abc123.part"
    stale.write_text("half")
    mine = tmp_path / f".gradcam.csv.{os.getpid()}.xyz.part"  # a live writer's: kept
    mine.write_text("writing")
    other = tmp_path / "notes.part"  # not ours: kept
    other.write_text("x")
    with atomic_write(tmp_path / "results.csv") as handle:
        handle.write("good\n")
    assert not stale.exists() and mine.exists() and other.exists()
    assert (tmp_path / "results.csv").read_text() == "good\n"
    assert remove_stale_temporaries(tmp_path) == []


def test_a_group_killed_between_renames_is_finished_by_the_next_write(tmp_path):
    import json
    import subprocess
    import sys

    from resandi_core.atomic import atomic_writes

    folder = tmp_path / "out"
    folder.mkdir()
    for name in ("results.csv", "gradcam.csv", "windows.csv"):
        (folder / name).write_text("old\n")
    dead_pid = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                                  capture_output=True, text=True).stdout)
    # What a writer killed after renaming results.csv leaves: two complete temporaries and its journal.
    temps = {name: folder / f".{name}.{dead_pid}.abc.part" for name in ("gradcam.csv", "windows.csv")}
    for tmp in temps.values():
        tmp.write_text("new\n")
    (folder / "results.csv").write_text("new\n")
    pairs = [[str(folder / f".results.csv.{dead_pid}.abc.part"), str(folder / "results.csv")]]
    pairs += [[str(tmp), str(folder / name)] for name, tmp in temps.items()]
    (folder / f".resandi-journal.{dead_pid}.json").write_text(json.dumps(pairs))
    with atomic_writes([folder / "other.txt"]) as (tmp,):  # any next write into the folder
        tmp.write_text("x")
    assert {name: (folder / name).read_text() for name in ("results.csv", "gradcam.csv", "windows.csv")} == {
        "results.csv": "new\n", "gradcam.csv": "new\n", "windows.csv": "new\n"}
    assert sorted(p.name for p in folder.iterdir()) == ["gradcam.csv", "other.txt", "results.csv", "windows.csv"]

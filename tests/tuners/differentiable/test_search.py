"""`DifferentiableSearch` end to end on digits: the derived trial, resume, refusals, dashboards."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from keras_nas import DifferentiableSearch, cli
from keras_nas.callbacks import ArchitectureTensorBoard
from keras_nas.datasets import load_digits
from keras_nas.files import SUB_NETWORK_WEIGHTS
from keras_nas.project import load_report
from keras_nas.search_spaces import MLPSpace, NASBench201Space, NASNetCellSpace
from keras_nas.tuners.best_weights import read_best_weights
from keras_nas.tuners.differentiable.search import (
    ARCHITECTURE_WEIGHTS_FILE,
    SEARCH_STATE_FILE,
    SEARCH_WEIGHTS_FILE,
)
from tests.messages import raises_mentioning

OPERATIONS = ("skip_connect", "nor_conv_1x1")


@pytest.fixture(scope="module")
def digits():
    (x, y), (xv, yv) = load_digits()
    return (x[:128], y[:128]), (xv[:64], yv[:64])


def _space():
    return NASBench201Space(
        input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1, channels=4, operations=OPERATIONS
    )


def _tuner(directory, method="darts", **kwargs):
    kwargs = {"epochs": 2, "seed": 0, "architecture_learning_rate": 0.05, **kwargs}
    return DifferentiableSearch(_space(), method, directory=str(directory), **kwargs)


class _Stop(Exception):
    pass


class _StopAtEpoch(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise _Stop()


class _Watch(keras.callbacks.Callback):
    """Records the first epoch trained and the architecture parameters at the start."""

    def on_train_begin(self, logs=None):
        self.alphas = [keras.ops.convert_to_numpy(a).copy() for a in self.model.alphas]
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


@pytest.mark.parametrize("method", ["darts", "gdas"])
def test_the_derived_architecture_is_an_ordinary_trial(tmp_path, digits, method, capsys):
    (x, y), validation = digits
    # GDAS's search also has a cost term, whose value each epoch logs.
    tuner = _tuner(tmp_path, method, cost_weight=0.5 if method == "gdas" else 0.0)
    board = ArchitectureTensorBoard(str(tmp_path / "logs"))
    tuner.search(x, y, validation_data=validation, batch_size=64, callbacks=[board])

    state = json.load(open(os.path.join(tuner.project_dir, SEARCH_STATE_FILE)))
    assert state["method"] == method and state["epochs_trained"] == 2
    assert [entry["epoch"] for entry in state["history"]] == [1, 2]
    last = state["history"][-1]
    assert ("expected_cost" in last["logs"]) == (method == "gdas")
    if method == "gdas":  # The costs are kept, and a resumed search uses them.
        assert {k: state["cost"][k] for k in ("cost", "weight")} == {"cost": "flops", "weight": 0.5}
        costs = state["cost"]["values"]
        assert list(costs) == list(state["choices"])
        assert sum(np.mean(c) for c in costs.values()) == pytest.approx(1.0)
        state["cost"]["values"] = {name: [7.0] * len(c) for name, c in costs.items()}
        with open(os.path.join(tuner.project_dir, SEARCH_STATE_FILE), "w") as file:
            json.dump(state, file)
        resumed = _tuner(tmp_path, method, cost_weight=0.5).build_relaxed_supernet()
        assert all(np.all(c == 7.0) for c in resumed.costs)
    else:
        assert state["cost"] is None
    (trial,) = tuner.oracle.trials.values()
    assert trial.status == "COMPLETED"
    # Its values are each edge's strongest operation at the end of the search.
    expected = {
        name: OPERATIONS[int(np.argmax(weights))] for name, weights in last["weights"].items()
    }
    assert trial.hyperparameters.values == expected
    assert trial.score == pytest.approx(last["logs"]["val_accuracy"])
    assert 0.0 <= trial.metrics.get_last_value("inherited_val_accuracy") <= 1.0
    saved = json.load(
        open(os.path.join(tuner.get_trial_dir(trial.trial_id), ARCHITECTURE_WEIGHTS_FILE))
    )
    assert saved["method"] == method and saved["epochs"] == 2
    assert list(saved["weights"]) == list(expected)
    assert sum(saved["weights"]["cell/edge_1/op"].values()) == pytest.approx(1.0)

    # The KerasTuner API, the report and the space work on it as on any trial.
    assert tuner.get_best_hyperparameters()[0].values == expected
    (model,) = tuner.get_best_models(1)
    assert model.output_shape == (None, 10)
    assert os.path.exists(os.path.join(tuner.get_trial_dir(trial.trial_id), SUB_NETWORK_WEIGHTS))
    report = load_report(tuner.project_dir)
    assert [row.values for row in report.rows] == [expected]
    assert report.best.score == trial.score
    out = capsys.readouterr().out
    assert "epoch 1/2: val_accuracy" in out and "epoch 2/2" in out and "derived" in out
    _check_dashboard(board)
    if method == "gdas":
        return  # Export and retraining do not depend on the method.

    # `keras-nas export` writes it as a plain Keras model with the weights it was scored with.
    path = str(tmp_path / "derived.keras")
    assert cli.main(["export", tuner.project_dir, "--out", path]) == 0
    x_few = validation[0][:8]
    np.testing.assert_allclose(
        keras.saving.load_model(path).predict(x_few, verbose=0),
        model.predict(x_few, verbose=0),
        rtol=1e-5,
    )
    # Retraining from scratch, once per seed; a seed's run is the same in another call.
    (result,) = tuner.retrain(top_k=1, epochs=1, seeds=[0, 1], verbose=0)
    assert result["seeds"] == [0, 1] and len(result["stand_alone_runs"]) == 2
    assert result["stand_alone"] == pytest.approx(np.mean(result["stand_alone_runs"]))
    assert result["search"] == trial.score
    again = tuner.retrain(top_k=1, epochs=1, seeds=[1], verbose=0)[0]
    assert again["stand_alone_runs"] == [result["stand_alone_runs"][1]]
    with raises_mentioning(ValueError, "`seeds` must hold at least one seed", "seeds=[]"):
        tuner.retrain(seeds=[])


def test_nasnet_cells_are_searched_over_every_earlier_node_and_keep_two_inputs(tmp_path, digits):
    (x, y), validation = digits
    space = NASNetCellSpace(
        input_shape=(8, 8, 1),
        num_classes=10,
        num_blocks=2,
        cells_per_stage=2,
        num_reductions=0,
        channels=4,
        operations=("sep_conv_3x3", "dil_conv_3x3"),
    )
    tuner = DifferentiableSearch(space, epochs=1, seed=0, directory=str(tmp_path))
    tuner.search(x, y, validation_data=validation, verbose=0)

    state = tuner.search_state()
    assert list(state["choices"])[:3] == [
        f"normal_cell/block_{b}/edge_{n}" for b, n in ((1, 0), (1, 1), (2, 0))
    ]
    (trial,) = tuner.oracle.trials.values()
    values = trial.hyperparameters.values
    saved = json.load(
        open(os.path.join(tuner.get_trial_dir(trial.trial_id), ARCHITECTURE_WEIGHTS_FILE))
    )
    assert values == space.discretize(saved["weights"])
    assert 0.0 <= trial.metrics.get_last_value("inherited_val_accuracy") <= 1.0
    # The derived network inherits the relaxed one's weights: an operation from the edge it
    # reads, a cell's input convolution the rows of the blocks the cell before outputs.
    (model,) = tuner.get_best_models(1)
    node = values["normal_cell/block_2/input_1"]
    op = values["normal_cell/block_2/op_1"]
    np.testing.assert_array_equal(
        model.get_layer(f"stage_1_cell_1_block_2_op_1_{op}_pointwise").get_weights()[0],
        _supernet_weights(tuner, f"stage_1_cell_1_block_2_edge_{node}_{op}_pointwise"),
    )
    source, channels = space.relaxed_layer_source(values)("stage_1_cell_2_input_1_conv")
    np.testing.assert_array_equal(
        model.get_layer("stage_1_cell_2_input_1_conv").get_weights()[0],
        _supernet_weights(tuner, source)[:, :, channels],
    )


def _supernet_weights(tuner, name):
    (key,) = [key for key in tuner.registry if key.startswith(f"{name}:")]
    return tuner.registry.weights(key)[0]


def _check_dashboard(board):
    """The dashboard holds every operation's weight, the heatmap and the derived cell, per
    epoch."""
    accumulator = event_accumulator.EventAccumulator(
        board.run_dir, size_guidance={event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    tags = set(accumulator.Tags()["tensors"])
    assert {f"weights/cell/edge_{e}/op/{op}" for e in range(1, 7) for op in OPERATIONS} <= tags
    assert {"weights", "derived"} <= tags
    text = accumulator.Tensors("derived")[-1]
    assert tf.make_ndarray(text.tensor_proto).item().decode().startswith("|")
    weights = accumulator.Tensors("weights/cell/edge_1/op/skip_connect")
    assert [w.step for w in weights] == [1, 2]
    assert 0.0 < float(tf.make_ndarray(weights[-1].tensor_proto)) < 1.0


def test_a_killed_search_resumes_from_its_last_epoch_with_the_same_parameters(tmp_path, digits):
    (x, y), validation = digits
    with pytest.raises(_Stop):
        _tuner(tmp_path, epochs=3).search(
            x, y, validation_data=validation, verbose=0, callbacks=[_StopAtEpoch(2)]
        )
    saved = read_best_weights(os.path.join(tmp_path, "untitled_project", SEARCH_WEIGHTS_FILE))
    assert int(saved[-1]) == 2  # Two epochs finished before the kill.
    # Resuming it as another search is refused.
    with raises_mentioning(ValueError, "method='darts'", "not 'gdas'", "overwrite=True"):
        _tuner(tmp_path, "gdas", epochs=3).search(x, y, validation_data=validation, verbose=0)
    with raises_mentioning(ValueError, "cost=None", "{'cost': 'flops', 'weight': 1.0}"):
        _tuner(tmp_path, epochs=3, cost_weight=1.0).search(
            x, y, validation_data=validation, verbose=0
        )

    watch = _Watch()
    tuner = _tuner(tmp_path, epochs=3)
    tuner.search(x, y, validation_data=validation, verbose=0, callbacks=[watch])
    assert watch.epochs == [2]  # Only the lost epoch is trained again.
    # The architecture parameters are the first variables of the state, as saved.
    for alpha, array in zip(watch.alphas, saved, strict=False):
        np.testing.assert_array_equal(alpha, array)
    state = tuner.search_state()
    assert [entry["epoch"] for entry in state["history"]] == [1, 2, 3]
    assert len(tuner.oracle.trials) == 1

    # A finished search does not train again, and derives the same trial.
    watch = _Watch()
    _tuner(tmp_path, epochs=3).search(
        x, y, validation_data=validation, verbose=0, callbacks=[watch]
    )
    assert not hasattr(watch, "epochs")


def test_a_space_that_cannot_be_relaxed_is_refused_naming_the_ones_that_can(tmp_path):
    with raises_mentioning(
        ValueError, "MLPSpace cannot be relaxed", "NASBench201Space", "MobileNetSpace"
    ):
        DifferentiableSearch(MLPSpace(input_shape=(64,), num_classes=10), directory=str(tmp_path))
    single = NASBench201Space(input_shape=(8, 8, 1), num_classes=10, operations=("nor_conv_3x3",))
    with raises_mentioning(ValueError, "'cell/edge_1/op'", "one value each", "more options"):
        DifferentiableSearch(single, directory=str(tmp_path))
    cells = NASNetCellSpace(input_shape=(8, 8, 1), num_classes=10, operations=("identity",))
    assert cells.relaxation_problem() is None  # Each edge chooses `none` or the operation.
    with raises_mentioning(
        ValueError, "`cost_weight` must be 0", "keeps two inputs per block", "cost_weight=1.0"
    ):
        DifferentiableSearch(cells, cost_weight=1.0, directory=str(tmp_path))


def test_a_search_without_validation_data_is_refused_before_any_training(tmp_path, digits):
    (x, y), _ = digits
    tuner = _tuner(tmp_path)
    with raises_mentioning(ValueError, "`validation_data`", "required", "validation_data=(x_val"):
        tuner.search(x, y)
    assert not os.path.exists(os.path.join(tuner.project_dir, SEARCH_WEIGHTS_FILE))


def test_data_it_cannot_pair_is_refused_before_any_training(tmp_path, digits):
    (x, y), validation = digits
    tuner = _tuner(tmp_path)
    with raises_mentioning(ValueError, "NumPy arrays", "tf.data.Dataset", "list"):
        tuner.search(list(x), y, validation_data=validation)
    with raises_mentioning(ValueError, "`validation_data` must be a pair", "float"):
        tuner.search(x, y, validation_data=0.2)
    weighted = tf.data.Dataset.from_tensor_slices((x, y, np.ones(len(y)))).batch(64)
    with raises_mentioning(ValueError, "without sample weights", "_BatchDataset"):
        tuner.search(weighted, validation_data=validation)
    assert not os.path.exists(os.path.join(tuner.project_dir, SEARCH_WEIGHTS_FILE))


@pytest.mark.parametrize(
    ("arguments", "facts"),
    [
        ({"method": "enas"}, ["`method` must be one of", "'enas'"]),
        ({"temperature": (0.1, 10.0)}, ["`temperature` must be a pair", "(0.1, 10.0)"]),
        ({"temperature": 5}, ["`temperature` must be a pair", "temperature=5"]),
        ({"epochs": 0}, ["`epochs`", "Received: epochs=0"]),
        ({"min_learning_rate": 0.5}, ["`min_learning_rate`", "0.5"]),
        ({"collapse_control": "yes"}, ["`collapse_control`", "'yes'"]),
        ({"weight_sharing": True}, ["do not pass `weight_sharing`"]),
        ({"objective": "accuracy"}, ["validation metrics", "objective='accuracy'"]),
        ({"cost_weight": -1}, ["`cost_weight`", "-1"]),
        ({"cost": "energy"}, ["`cost` must be one of", "'latency_ms'", "cost='energy'"]),
    ],
)
def test_arguments_out_of_range_are_refused(tmp_path, arguments, facts):
    with raises_mentioning(ValueError, *facts):
        DifferentiableSearch(_space(), directory=str(tmp_path), **arguments)


def test_datasets_of_batches_search_as_arrays_do(tmp_path, digits):
    (x, y), (xv, yv) = digits
    training = tf.data.Dataset.from_tensor_slices((x, y)).batch(64)
    validation = tf.data.Dataset.from_tensor_slices((xv, yv)).batch(64)
    tuner = _tuner(tmp_path, epochs=1)
    tuner.search(training, validation_data=validation, verbose=0)
    (trial,) = tuner.oracle.trials.values()
    assert trial.status == "COMPLETED" and set(trial.hyperparameters.values.values()) <= set(
        OPERATIONS
    )

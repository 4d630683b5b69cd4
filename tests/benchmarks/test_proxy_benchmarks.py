"""Tests of the proxy-task, own-task zero-cost and reproducibility benchmarks' parts that train
nothing."""

from benchmarks import proxy_task, zero_cost_tasks
from keras_nas.search_spaces import NASBench201Space


def test_cells_are_distinct_networks_and_reproducible():
    space = NASBench201Space(input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1)
    cells = zero_cost_tasks.draw_cells(space, 40, seed=3)
    assert len({space.canonical_key(values) for values in cells}) == 40
    assert cells == zero_cost_tasks.draw_cells(space, 40, seed=3)
    assert cells != zero_cost_tasks.draw_cells(space, 40, seed=4)


def test_the_proxy_benchmark_searches_the_image_task_space():
    space = proxy_task.space()
    assert space.input_shape == (16, 16, 1) and space.num_classes == 4
    args = proxy_task._parser().parse_args([])
    assert (args.trials, args.top_k, args.data_fraction, args.image_size) == (30, 5, 0.25, 8)


def test_the_reproducibility_benchmark_compares_runs_trial_by_trial():
    from types import SimpleNamespace

    from benchmarks import reproducibility

    def tuner(scores):
        trials = {
            str(i): SimpleNamespace(hyperparameters=SimpleNamespace(values={"a": i}), score=s)
            for i, s in enumerate(scores)
        }
        return SimpleNamespace(oracle=SimpleNamespace(trials=trials))

    row = reproducibility.compare(tuner([0.5, 0.75, 0.25]), tuner([0.5, 0.5, 0.25]))
    assert row == {
        "same_architectures": True,
        "same_scores": 2,
        "trials": 3,
        "largest_difference": 0.25,
        "best": [0.75, 0.5],
    }

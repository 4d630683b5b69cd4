"""Tests of the proxy-task and own-task zero-cost benchmarks' parts that train nothing."""

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

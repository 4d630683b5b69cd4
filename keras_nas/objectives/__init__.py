"""Objectives beyond accuracy: a Keras model's cost (parameters, FLOPs, bytes), limits on it,
latency, MnasNet's reward, and Pareto tools for several objectives (NSGA-II, the hypervolume)."""

from keras_nas.objectives.constraints import ConstraintCheck, Constraints
from keras_nas.objectives.cost import count_flops, count_params, model_size_bytes
from keras_nas.objectives.latency import latency_metric_name, latency_metrics, measure_latency_ms
from keras_nas.objectives.pareto import (
    Objective,
    crowding_distance,
    hypervolume,
    non_dominated_sort,
    nsga2_rank,
    nsga2_select,
    pareto_front,
)
from keras_nas.objectives.reward import MnasNetReward, mnasnet_reward

"""Objectives beyond accuracy: the cost of a Keras model (parameters, FLOPs, bytes)."""

from keras_nas.objectives.cost import count_flops, count_params, model_size_bytes

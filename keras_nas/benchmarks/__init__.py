"""Benchmarks that ship with keras-nas (`python -m keras_nas.benchmarks.nasbench201`)."""

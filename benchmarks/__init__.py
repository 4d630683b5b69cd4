"""Scripts that measure keras-nas; BENCHMARKS.md holds their current results.

Run one from the repository root, `python benchmarks/NAME.py` or, for the scripts that import
a sibling (`nasbench201` imports `lstm_controller`), `python -m benchmarks.NAME`. They are
not part of the installed package.
"""

"""Search strategies: KerasTuner `Oracle`s that pick the next architecture."""

from keras_nas.oracles.evolution import RegularizedEvolutionOracle

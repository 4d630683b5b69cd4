"""Search strategies: KerasTuner `Oracle`s that pick the next architecture."""

from keras_nas.oracles.base import NASOracle
from keras_nas.oracles.derived import DerivedArchitectureOracle
from keras_nas.oracles.evolution import RegularizedEvolutionOracle
from keras_nas.oracles.reinforce import ReinforceOracle

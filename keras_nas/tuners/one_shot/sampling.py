"""`PathSampler`: which architecture a supernet trains at each step."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
from keras_tuner.engine import hyperparameters as hp_module

from keras_nas.arguments import check_count
from keras_nas.search_spaces.base import SearchSpace

#: The sampling rules of `PathSampler`.
RULES = ("uniform", "sandwich", "fair", "progressive")
# Under the sandwich rule, each group of steps trains the largest architecture, the smallest,
# then this many uniformly drawn ones.
SANDWICH_RANDOM_STEPS = 2
#: The order in which the progressive rule makes dimensions elastic, as in Once-for-All:
#: kernel sizes, then depths, then widths (and expansion ratios). A hyperparameter belongs to
#: a dimension by the last part of its name (`stage_2/kernel`, `stage_1/block_3/expansion`);
#: the others (block types, squeeze-excite, cell operations) are sampled from the start.
SHRINKING_ORDER = (("kernel",), ("depth",), ("width", "expansion", "width_multiplier"))


class PathSampler:
    """Draws the architecture that each supernet training step runs.

    - `"uniform"`: every step draws each active choice uniformly at random (single-path
      one-shot NAS, Guo et al. 2020, https://arxiv.org/abs/1904.00420).
    - `"sandwich"`: steps cycle through the largest architecture, the smallest, then two
      uniform draws (the sandwich rule of BigNAS and Once-for-All, Yu et al. 2020,
      https://arxiv.org/abs/2003.11142). Those papers add the gradients of the four in one
      step; here each gets its own step, so the largest and the smallest are trained in
      every group of four. "Largest" and "smallest" are by parameter count, chosen one
      hyperparameter at a time in declaration order. The rule suits spaces with elastic
      width and depth (`MacroSpace`, `MobileNetSpace`); in `NASBench201Space` the smallest
      cell is all `none` (no output), which is not worth a quarter of the steps.
    - `"fair"`: strict fairness (FairNAS, Chu et al. 2021, https://arxiv.org/abs/1907.01845):
      steps come in groups of `steps_per_update`, the most options any hyperparameter has,
      and within a group every hyperparameter takes each of its options equally often (once
      each when it has that many; otherwise as evenly as the group allows), in a random
      order of its own. The supernet's optimizer adds up the gradients of a group and
      updates once (`OneShotSearch` sets Keras's `gradient_accumulation_steps`), so every
      option of a choice is trained from the same weights. A hyperparameter that is active
      only under some values of others (MBConv's expansion) is balanced over the whole
      group, not over the steps where it is active.
    - `"progressive"`: progressive shrinking (Once-for-All, Cai et al. 2020,
      https://arxiv.org/abs/1908.09791): the supernet's `epochs` are split into equal
      phases. In the first, every elastic dimension (`SHRINKING_ORDER`) stays at its largest
      option and only the other choices are drawn; each later phase also draws the next
      dimension uniformly: kernel sizes, then depths, then widths and expansion ratios. So
      the largest sub-networks are trained first and the smaller ones start from their
      weights. The phase follows the epoch (`start_epoch`), so a resumed supernet continues
      in the phase where it stopped. (Once-for-All also distils the largest network into
      the smaller ones; this rule does not.)

    Example:
    >>> from keras_nas.search_spaces import MacroSpace
    >>> space = MacroSpace(input_shape=(8, 8, 1), num_classes=10, num_stages=1,
    ...                    block_types=("conv",), widths=(8, 16), depths=(1, 2))
    >>> sampler = PathSampler(space, rule="sandwich", seed=0)
    >>> [space.summarize(sampler()) for _ in range(2)]
    ['stem32 | conv5-16 x2', 'stem32 | conv3-8']
    >>> fair = PathSampler(space, rule="fair", seed=0)
    >>> fair.steps_per_update, sorted(fair()["stage_1/width"] for _ in range(2))
    (2, [8, 16])
    >>> shrinking = PathSampler(space, rule="progressive", epochs=4, seed=0)
    >>> shrinking.start_epoch(0)  # Largest kernel, depth and width only.
    >>> {space.summarize(shrinking()) for _ in range(8)}
    {'stem32 | conv5-16 x2'}

    Args:
        space: The search space of the supernet.
        rule: One of `RULES`.
        seed: Seeds the uniform draws.
        epochs: The supernet's training epochs, which the progressive rule splits into
            phases; required by that rule only.

    Raises:
        ValueError: If `rule` is not one of `RULES`, the sandwich or fair rule meets a
            hyperparameter that is not a `Choice` or `Boolean`, or the progressive rule has
            no `epochs` or finds no elastic dimension in the space.
    """

    def __init__(
        self,
        space: SearchSpace,
        *,
        rule: str = "uniform",
        seed: int | None = None,
        epochs: int | None = None,
    ):
        if rule not in RULES:
            raise ValueError(f"`rule` must be one of {RULES}. Received: rule={rule!r}.")
        self.space, self.rule = space, rule
        self.rng = np.random.default_rng(seed)
        self.hyperparameters = space.declared_hyperparameters()
        self.steps = 0
        self.extremes: list[dict[str, Any]] = []
        if rule == "sandwich":
            self.extremes = [extreme_values(space, largest=True), extreme_values(space)]
        self._options = (
            {hp.name: _options(hp, rule) for hp in self.hyperparameters.space}
            if rule == "fair"
            else {}
        )
        #: How many consecutive steps the optimizer adds up into one update: 1, except
        #: under the fair rule.
        self.steps_per_update = max(map(len, self._options.values()), default=1)
        self._group: list[dict[str, Any]] = []
        #: Under the progressive rule, the hyperparameter names of each elastic dimension in
        #: the order they are released, and the largest option of each.
        self.phases: list[list[str]] = []
        self.epochs = epochs
        self._largest: dict[str, Any] = {}
        self._fixed: set[str] = set()
        if rule == "progressive":
            self._set_up_phases(epochs)

    def __call__(self) -> dict[str, Any]:
        step = self.steps
        self.steps += 1
        if self.rule == "fair":
            if step % self.steps_per_update == 0:
                self._group = self.fair_group()
            return dict(self._group[step % self.steps_per_update])
        if self.rule == "progressive":
            return self.uniform(fixed=self._fixed)
        position = step % (len(self.extremes) + SANDWICH_RANDOM_STEPS)
        if position < len(self.extremes):
            return dict(self.extremes[position])
        return self.uniform()

    def uniform(self, fixed: Collection[str] = ()) -> dict[str, Any]:
        """An architecture with every active choice drawn uniformly at random, except those
        named in `fixed`, which take their largest option."""
        values: dict[str, Any] = {}
        for hp in self.hyperparameters.space:
            if hp.name in values or not all(c.is_active(values) for c in hp.conditions):
                continue
            if hp.name in fixed:
                values[hp.name] = self._largest[hp.name]
            else:
                values[hp.name] = hp.random_sample(int(self.rng.integers(2**31)))
        return self.space.complete_values(values)

    def start_epoch(self, epoch: int) -> None:
        """Enters the phase of `epoch` (from 0): under the progressive rule, the elastic
        dimensions of the later phases are held at their largest options. Other rules
        ignore it."""
        if self.rule != "progressive":
            return
        phase = min(len(self.phases), epoch * (len(self.phases) + 1) // self.epochs)
        self._fixed = {name for names in self.phases[phase:] for name in names}

    def _set_up_phases(self, epochs: int | None) -> None:
        try:
            epochs = check_count("epochs", epochs)
        except ValueError as error:
            raise ValueError(
                f"The progressive rule splits the supernet's training epochs into phases: {error}"
            ) from None
        for dimension in SHRINKING_ORDER:
            members = [  # A dimension with one option has nothing to release.
                hp
                for hp in self.hyperparameters.space
                if hp.name.rsplit("/", 1)[-1] in dimension and len(_options(hp, self.rule)) > 1
            ]
            if members:
                self.phases.append([hp.name for hp in members])
            for hp in members:
                self._largest[hp.name] = max(_options(hp, self.rule))
        if not self.phases:
            raise ValueError(
                "The progressive rule shrinks elastic dimensions (hyperparameters with several "
                f"options named */{', */'.join(n for d in SHRINKING_ORDER for n in d)}), and "
                f"{type(self.space).__name__} has none. Use rule='uniform'."
            )
        self.start_epoch(0)

    def fair_group(self) -> list[dict[str, Any]]:
        """`steps_per_update` architectures in which each hyperparameter takes each of its
        options equally often (as nearly as the group's size allows), in a random order."""
        size = self.steps_per_update
        columns = {}
        for name, options in self._options.items():
            order = [options[i] for i in self.rng.permutation(len(options))]
            column = (order * (size // len(order) + 1))[:size]
            columns[name] = [column[i] for i in self.rng.permutation(size)]
        group = []
        for step in range(size):
            values: dict[str, Any] = {}
            for hp in self.hyperparameters.space:
                if hp.name not in values and all(c.is_active(values) for c in hp.conditions):
                    values[hp.name] = columns[hp.name][step]
            group.append(self.space.complete_values(values))
        return group


def extreme_values(space: SearchSpace, *, largest: bool = False) -> dict[str, Any]:
    """The architecture with the most (or fewest) parameters, found greedily: each active
    hyperparameter in declaration order takes the option that maximises (minimises) the
    parameter count with the others at their values so far. Ties keep the earlier option.

    Raises:
        ValueError: If an active hyperparameter is not a `Choice` or `Boolean`.
    """
    values = space.complete_values({})
    sign = 1 if largest else -1
    for hp in space.declared_hyperparameters().space:
        if hp.name not in values:
            continue  # Inactive under the values chosen so far.
        counts = {}
        for option in _options(hp, "sandwich"):
            candidate = space.complete_values({**values, hp.name: option})
            counts[option] = sign * _parameters(space, candidate)
        values = space.complete_values({**values, hp.name: max(counts, key=counts.get)})
    return values


def _options(hp: hp_module.HyperParameter, rule: str) -> list[Any]:
    if isinstance(hp, hp_module.Boolean):
        return [False, True]
    if isinstance(hp, hp_module.Choice):
        return list(hp.values)
    which = (
        "elastic hyperparameter (kernel, depth, width)"
        if rule == "progressive"
        else "hyperparameter"
    )
    raise ValueError(
        f"The {rule} rule needs every {which} to be a Choice or a "
        f"Boolean; {hp.name!r} is declared as {type(hp).__name__}. Use rule='uniform', "
        f"or declare {hp.name!r} with hp.Choice."
    )


def _parameters(space: SearchSpace, values: dict[str, Any]) -> int:
    return space.build_model(values).count_params()

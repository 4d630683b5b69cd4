"""`ReinforceOracle`: a policy-gradient (REINFORCE) controller over a KerasTuner search space.

Size: about 450 lines, one strategy: the policy's sampling, its update, and its state in a
side file that survives a crash between two writes, which only make sense together.
"""

from __future__ import annotations

import os
from typing import Any

import keras_tuner
import numpy as np
from keras_tuner.engine import hyperparameters as hp_module
from keras_tuner.engine.trial import TrialStatus

from keras_nas import compat
from keras_nas.arguments import check_number
from keras_nas.files import write_npz_atomically
from keras_nas.oracles.base import NASOracle
from keras_nas.oracles.candidates import first_proposable

#: The side file, under the project directory, that holds the policy and its optimizer state.
POLICY_FILE = "reinforce_policy.npz"
# Policy draws that may all hit tried architectures before random sampling takes over.
_MAX_POLICY_DRAWS = 100
# Each redraw after a tried architecture divides the logits by a temperature this much higher.
_TEMPERATURE_STEP = 0.1
_ADAM_BETA_1 = 0.9
_ADAM_BETA_2 = 0.999
_ADAM_EPSILON = 1e-8
# Guards the division by the running reward spread while it is still 0 (all rewards equal).
_MIN_REWARD_STD = 1e-8
# Rewards are clipped to this magnitude: the square of a larger advantage overflows a float
# (an OverflowError in Python). No Keras metric comes near it (float32 ends at 3.4e38).
_MAX_REWARD = 1e150


class ReinforceOracle(NASOracle):
    """A REINFORCE controller with a factorised policy, a KerasTuner `Oracle`.

    Implements the policy-gradient search of Zoph & Le 2017, "Neural Architecture Search with
    Reinforcement Learning" (https://arxiv.org/abs/1611.01578), with the moving-average
    baseline and entropy bonus of ENAS (Pham et al. 2018, "Efficient Neural Architecture
    Search via Parameter Sharing", https://arxiv.org/abs/1802.03268). The policy holds one
    vector of logits per `Choice` and `Boolean` hyperparameter, created by name when it is
    first met (so the space may grow). A candidate is sampled in the order of the space, each
    active decision from the softmax of its logits; hyperparameters made inactive by the
    values drawn so far are skipped, so conditional spaces yield only active values.

    When a trial completes, its reward is its score (negated for a `"min"` objective). The
    advantage is the reward minus a baseline, an exponential moving average of the rewards
    (decay `baseline_decay`, initialised with the first reward), divided by a running
    estimate of the rewards' standard deviation so that the step does not depend on the
    metric's scale. The logits of the trial's active decisions (active under the space's
    conditions and read by its build function, `NASOracle.active_hyperparameters`) then
    take one Adam step up the gradient of
    `advantage * sum(log p(decision)) + entropy_weight * sum(entropy)`.
    The update uses the ended trial's own values, so trials may run in parallel and end in
    any order (asynchronous, as in distributed tuning).

    Deviations from the papers: the controller is a factorised policy (independent
    categorical distributions) instead of an autoregressive LSTM, so it learns no
    interactions between decisions (`benchmarks/lstm_controller.py` holds the LSTM
    controller that it is measured against, `--strategy reinforce-lstm` of the NAS-Bench-201
    benchmark); it is updated once per trial instead of once per batch of sampled
    architectures; and the advantage is normalised by the running standard deviation of the
    rewards. `Int` and `Float` hyperparameters are not learned: they are
    sampled at random (`hp.random_sample`) with the oracle's generator, and `Fixed` ones keep
    their value. A draw equal to an already tried architecture (same values or same
    `canonical_key`) is redrawn from a softened policy (the temperature rises by 0.1 with each
    redraw, so a converged policy proposes the untried neighbours of its mode), at most 100
    times; then an untried architecture is drawn at random, and when none is found the oracle
    returns `STOPPED`. A draw that breaks the `constraints` is shrunk toward smaller options
    until it keeps them (`NASOracle.repair`, the first 3 such draws of a proposal), and the
    policy learns from the candidate that was trained.

    State: the oracle state (JSON) holds the generator, the baseline, the reward variance
    and the number of policy updates. The logits and Adam moments are written atomically to
    `reinforce_policy.npz` (numpy, no pickle) in the project directory whenever the oracle
    state is saved after an update, just before `oracle.json`. The file keeps the policy
    before and after the latest update, and a reload picks the one whose update count
    matches `oracle.json`. So a crash between the two writes cannot lose or repeat a
    finished trial's update: `oracle.json` still lists that trial as running, the reload
    takes the policy from before its update, and KerasTuner runs the trial again.

    Example:
    >>> import tempfile
    >>> import keras_tuner
    >>> from keras_tuner.engine.trial import TrialStatus
    >>> hp = keras_tuner.HyperParameters()
    >>> for i in range(4):
    ...     _ = hp.Choice(f"edge_{i}/op", ["conv", "pool", "skip"])
    >>> oracle = ReinforceOracle(
    ...     objective=keras_tuner.Objective("score", "max"),
    ...     max_trials=40,
    ...     hyperparameters=hp,
    ...     seed=1,
    ... )
    >>> oracle.verbose = 0
    >>> from keras_nas.compat import set_project_directory
    >>> set_project_directory(oracle, tempfile.mkdtemp(), "doctest")
    >>> for _ in range(40):
    ...     trial = oracle.create_trial("tuner0")
    ...     score = sum(op == "conv" for op in trial.hyperparameters.values.values())
    ...     _ = oracle.update_trial(trial.trial_id, {"score": score})
    ...     trial.status = TrialStatus.COMPLETED
    ...     oracle.end_trial(trial)
    >>> oracle.get_best_trials(1)[0].hyperparameters.values
    {'edge_0/op': 'conv', 'edge_1/op': 'conv', 'edge_2/op': 'conv', 'edge_3/op': 'conv'}
    >>> [round(p, 2) for p in oracle.probabilities("edge_0/op")]  # conv, pool, skip
    [0.99, 0.01, 0.0]

    Args:
        learning_rate: Adam step size of the policy logits; positive.
        entropy_weight: Weight of the entropy bonus, which keeps the policy exploring; at
            least 0.
        baseline_decay: Decay of the moving averages of the reward (the baseline) and of its
            variance; in [0, 1). 0 makes the baseline the previous reward.
        **kwargs: The arguments of `NASOracle` (`seed`, `canonical_key`, `pruning`,
            `trial_timeout`, `constraints`) and of `keras_tuner.Oracle` (`objective`,
            `max_trials`, `hyperparameters`, `max_consecutive_failed_trials`, ...).
            The objective's direction decides the sign of the reward.

    Raises:
        ValueError: If `learning_rate` is not positive, `entropy_weight` is negative or
            `baseline_decay` is outside [0, 1).
    """

    def __init__(
        self,
        *,
        learning_rate: float = 0.2,
        entropy_weight: float = 0.01,
        baseline_decay: float = 0.7,
        **kwargs: Any,
    ):
        learning_rate = check_number("learning_rate", learning_rate, above=0)
        entropy_weight = check_number("entropy_weight", entropy_weight, minimum=0)
        baseline_decay = check_number("baseline_decay", baseline_decay, minimum=0, below=1)
        super().__init__(**kwargs)
        self.learning_rate = float(learning_rate)
        self.entropy_weight = float(entropy_weight)
        self.baseline_decay = float(baseline_decay)
        self._policy: dict[str, _Logits] = {}
        self._baseline: float | None = None
        self._reward: float | None = None  # The latest; not state: it is in the trial record.
        self._reward_var = 0.0
        self._step = 0
        # The policy before the latest update, kept in the side file as the fallback for a
        # crash between the side file's write and `oracle.json`'s.
        self._previous: tuple[int, dict[str, np.ndarray]] | None = None
        self._written_step = 0

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        """Proposes the next architecture: a draw from the policy, or a random one.

        Args:
            trial_id: The ID of the trial to fill (unused: candidates depend on the state).

        Returns:
            `{"status": RUNNING, "values": {...}}` with an untried set of active values, or
            `{"status": STOPPED, "values": None}` when no untried candidate is found.
        """
        # A converged policy keeps drawing tried architectures; softening it step by step
        # moves the draws to the untried neighbours of its mode, not to random ones. A draw
        # over a limit is shrunk until it fits (`first_proposable`).
        draws = (
            self._sample(temperature=1.0 + _TEMPERATURE_STEP * attempt)
            for attempt in range(_MAX_POLICY_DRAWS)
        )
        values = first_proposable(self, draws)
        if values is None:
            values = self.random_untried_values()
        if values is None:
            return {"status": TrialStatus.STOPPED, "values": None}
        return {"status": TrialStatus.RUNNING, "values": values}

    @keras_tuner.synchronized
    def end_trial(self, trial: keras_tuner.engine.trial.Trial) -> None:
        """Updates the policy from a completed trial's reward, then ends it as usual.

        Args:
            trial: See `keras_tuner.Oracle.end_trial`. Only a `COMPLETED` trial with a finite
                score updates the policy (not one of the random control's,
                `baseline="random"`); its own values are the decisions rewarded.
        """
        read = self.active_hyperparameters(trial)  # Before the update reads the values.
        learns = not self._superseded(trial.trial_id) and not self.is_control(trial.trial_id)
        if trial.status == TrialStatus.COMPLETED and learns:
            # `Oracle.end_trial` scores the stored trial and then saves; scoring it here
            # first (scoring is idempotent) lets that one save hold the update too.
            stored = self.trials[trial.trial_id]
            self.score_trial(stored)
            if stored.score is not None and np.isfinite(stored.score):
                reward = stored.score if self.objective.direction == "max" else -stored.score
                self._update(dict(trial.hyperparameters.values), float(reward), read)
                self._reward = float(reward)
        super().end_trial(trial)

    def save(self) -> None:
        # The side file goes first: see the class docstring for why this order is safe.
        if self._step != self._written_step:
            self._write_policy()
        super().save()

    def _arguments(self) -> dict[str, Any]:
        own = ("learning_rate", "entropy_weight", "baseline_decay")
        return {**super()._arguments(), **{name: getattr(self, name) for name in own}}

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        state["policy_file"] = POLICY_FILE
        state["policy_step"] = self._step
        state["baseline"] = self._baseline
        state["reward_var"] = self._reward_var
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self._step = state["policy_step"]
        self._baseline = state["baseline"]
        self._reward_var = state["reward_var"]
        self._policy = self._read_policy(state["policy_file"], self._step)
        self._previous = None
        self._written_step = self._step

    def probabilities(self, name: str) -> list[float]:
        """The policy's probabilities of the values of the `Choice` or `Boolean` `name`.

        In the order of the hyperparameter's values (`[False, True]` for a `Boolean`);
        uniform for a hyperparameter that the policy has not met yet.

        Raises:
            ValueError: If `name` is not a `Choice` or `Boolean` of the space.
        """
        for hp in self.hyperparameters.space:
            if hp.name == name and _choices(hp) is not None:
                return [float(p) for p in _softmax(self._logits(hp).logits)]
        raise ValueError(
            f"`name` must be a `Choice` or `Boolean` hyperparameter of the space. "
            f"Received: name={name!r}."
        )

    def search_summary(self) -> dict[str, float]:
        """The last reward, the baseline, the policy's entropy and each decision's probabilities.

        `entropy` is the sum over the decisions the policy has learned of the entropy of each
        (nats); `probability/<hyperparameter>/<value>` is the probability of each value.
        """
        summary: dict[str, float] = {}
        if self._reward is not None:
            summary["reward"] = self._reward
        if self._baseline is not None:
            summary["baseline"] = float(self._baseline)
        entropy = 0.0
        for hp in self.hyperparameters.space:
            choices = _choices(hp)
            if choices is None:
                continue
            learned = self._policy.get(hp.name)  # Not `_logits`: a summary must not add entries.
            logits = learned.logits if learned is not None else np.zeros(len(choices))
            probabilities = _softmax(logits)
            entropy -= float(np.sum(probabilities * np.log(np.maximum(probabilities, 1e-300))))
            for value, probability in zip(choices, probabilities, strict=True):
                summary[f"probability/{hp.name}/{value}"] = float(probability)
        summary["entropy"] = entropy
        return summary

    def _sample(self, temperature: float = 1.0) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for hp in self.hyperparameters.space:
            if hp.name in values or not _is_active(hp, values):
                continue
            choices = _choices(hp)
            if choices is None:
                values[hp.name] = hp.random_sample(self.next_seed())
            else:
                probabilities = _softmax(self._logits(hp).logits / temperature)
                values[hp.name] = choices[int(self._rng.choice(len(choices), p=probabilities))]
        return values

    def _decisions(
        self, values: dict[str, Any], read: set[str] | None = None
    ) -> list[tuple[hp_module.HyperParameter, int]]:
        """The active `Choice` and `Boolean` hyperparameters in `values`, with the index chosen:
        active under the space's conditions and, where known, read by the build (`read`).

        In the order of the space, which is the order in which `_sample` draws them.
        """
        decisions, seen = [], set()
        for hp in self.hyperparameters.space:
            choices = _choices(hp)
            if choices is None or hp.name in seen or hp.name not in values:
                continue
            if read is not None and hp.name not in read:
                continue
            if not _is_active(hp, values) or values[hp.name] not in choices:
                continue
            seen.add(hp.name)
            decisions.append((hp, choices.index(values[hp.name])))
        return decisions

    def _advantage(self, reward: float) -> float:
        """Moves the baseline and the reward variance; returns the normalised advantage."""
        reward = min(max(reward, -_MAX_REWARD), _MAX_REWARD)
        if self._baseline is None:
            self._baseline = reward
        advantage = reward - self._baseline
        decay = self.baseline_decay
        self._reward_var = decay * self._reward_var + (1 - decay) * advantage**2
        self._baseline = decay * self._baseline + (1 - decay) * reward
        return advantage / max(np.sqrt(self._reward_var), _MIN_REWARD_STD)

    def _update(self, values: dict[str, Any], reward: float, read: set[str] | None = None) -> None:
        self._previous = (self._step, self._pack())
        advantage = self._advantage(reward)
        decisions = [(self._logits(hp), index) for hp, index in self._decisions(values, read)]
        for vector, index in decisions:
            probabilities = _softmax(vector.logits)
            log_probabilities = np.log(np.maximum(probabilities, 1e-300))
            entropy = -float(np.sum(probabilities * log_probabilities))
            gradient = -advantage * probabilities
            gradient[index] += advantage
            gradient -= self.entropy_weight * probabilities * (log_probabilities + entropy)
            vector.ascend(gradient, self.learning_rate)
        self._step += 1

    def _logits(self, hp: hp_module.HyperParameter) -> _Logits:
        size = len(_choices(hp))
        vector = self._policy.get(hp.name)
        if vector is None:
            vector = self._policy[hp.name] = _Logits(size)
        elif vector.logits.size != size:
            raise ValueError(
                f"The hyperparameter {hp.name!r} is declared with {size} values, but the policy "
                f"learned {vector.logits.size} values under that name. Give hyperparameters "
                "with different values different names."
            )
        return vector

    def _pack(self) -> dict[str, np.ndarray]:
        names = sorted(self._policy)
        vectors = [self._policy[name] for name in names]
        return {
            "names": np.array(names, dtype=str),
            "sizes": np.array([v.logits.size for v in vectors], dtype=np.int64),
            "updates": np.array([v.updates for v in vectors], dtype=np.int64),
            "logits": _concatenate([v.logits for v in vectors]),
            "first_moment": _concatenate([v.first_moment for v in vectors]),
            "second_moment": _concatenate([v.second_moment for v in vectors]),
        }

    def _write_policy(self) -> None:
        arrays = {"step": np.array(self._step), **self._pack()}
        if self._previous is not None:
            previous_step, previous = self._previous
            arrays["previous_step"] = np.array(previous_step)
            arrays.update({f"previous_{key}": value for key, value in previous.items()})
        write_npz_atomically(os.path.join(compat.project_directory(self), POLICY_FILE), arrays)
        self._written_step = self._step

    def _read_policy(self, file_name: str, step: int) -> dict[str, _Logits]:
        if step == 0:
            return {}
        path = os.path.join(compat.project_directory(self), file_name)
        if not os.path.exists(path):
            raise RuntimeError(
                f"The oracle state records {step} policy updates, but the policy file {path!r} "
                "is missing. Restore it, or start a new project (`overwrite=True`)."
            )
        with np.load(path, allow_pickle=False) as arrays:
            for prefix in ("", "previous_"):
                if f"{prefix}step" in arrays and int(arrays[f"{prefix}step"]) == step:
                    return _unpack({key: arrays[prefix + key] for key in _PACKED_KEYS})
        raise RuntimeError(
            f"The policy file {path!r} does not hold the policy after update {step}, which "
            "the oracle state records. It belongs to another search or is out of date."
        )


_PACKED_KEYS = ("names", "sizes", "updates", "logits", "first_moment", "second_moment")


class _Logits:
    """One categorical distribution of the policy: its logits and their Adam moments."""

    def __init__(self, size: int):
        self.logits = np.zeros(size)
        self.first_moment = np.zeros(size)
        self.second_moment = np.zeros(size)
        # Adam's bias correction counts the updates of this vector: a decision that is often
        # inactive, or that appeared late, is updated less often than the policy.
        self.updates = 0

    def ascend(self, gradient: np.ndarray, learning_rate: float) -> None:
        self.updates += 1
        self.first_moment = _ADAM_BETA_1 * self.first_moment + (1 - _ADAM_BETA_1) * gradient
        self.second_moment = _ADAM_BETA_2 * self.second_moment + (1 - _ADAM_BETA_2) * gradient**2
        first = self.first_moment / (1 - _ADAM_BETA_1**self.updates)
        second = self.second_moment / (1 - _ADAM_BETA_2**self.updates)
        self.logits = self.logits + learning_rate * first / (np.sqrt(second) + _ADAM_EPSILON)


def _unpack(arrays: dict[str, np.ndarray]) -> dict[str, _Logits]:
    policy, start = {}, 0
    for name, size, updates in zip(
        arrays["names"].tolist(),
        arrays["sizes"].tolist(),
        arrays["updates"].tolist(),
        strict=True,
    ):
        vector = _Logits(size)
        end = start + size
        vector.logits = arrays["logits"][start:end].astype(np.float64)
        vector.first_moment = arrays["first_moment"][start:end].astype(np.float64)
        vector.second_moment = arrays["second_moment"][start:end].astype(np.float64)
        vector.updates = updates
        policy[name] = vector
        start = end
    return policy


def _concatenate(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0)


def _choices(hp: hp_module.HyperParameter) -> list[Any] | None:
    """The values the policy learns to choose between, or `None` if it does not learn `hp`."""
    if isinstance(hp, hp_module.Boolean):
        return [False, True]
    if isinstance(hp, hp_module.Choice):
        return list(hp.values)
    return None


def _is_active(hp: hp_module.HyperParameter, values: dict[str, Any]) -> bool:
    # The same test as `HyperParameters.is_active`, on the values drawn so far.
    return all(condition.is_active(values) for condition in hp.conditions)


def _softmax(logits: np.ndarray) -> np.ndarray:
    exponentials = np.exp(logits - np.max(logits))
    return exponentials / np.sum(exponentials)

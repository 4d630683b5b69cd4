"""`scaled_space`: the same search space on smaller (or larger) images, narrower (or wider)
and shallower (or deeper) networks, for proxy tasks and their transfer.

A proxy task (NASNet searched on CIFAR-10 and transferred to ImageNet) trains each candidate
on a cheaper setting and the winners on the full one. The architecture values must mean the
same network in both settings, so only what is NOT a choice changes: the input's size, and
the settings that a space names as its width and depth (`SearchSpace.width_setting`, e.g.
the `channels` of the first cell of `NASBench201Space`, and `SearchSpace.depth_setting`, e.g.
its `cells_per_stage`). A space whose width or depth is a choice of its own (`MacroSpace`'s
stage widths and depths, `MobileNetSpace`'s width multiplier) has no such setting: narrowing
it would change the architecture, not the setting, so it is refused with the list of spaces
that can.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keras_nas.search_spaces.base import SearchSpace


def scaled_space(
    space: SearchSpace,
    *,
    image_size: Sequence[int] | None = None,
    width_multiplier: float | None = None,
    cells_per_stage: int | None = None,
) -> SearchSpace:
    """Returns a copy of `space` with another image size, width or depth.

    Example:
    >>> from keras_nas.search_spaces import NASBench201Space
    >>> space = NASBench201Space(input_shape=(32, 32, 3), num_classes=10)
    >>> small = scaled_space(space, image_size=(16, 16), width_multiplier=0.5,
    ...                      cells_per_stage=1)
    >>> small.input_shape, small.channels, small.cells_per_stage
    ((16, 16, 3), 8, 1)
    >>> small.canonical_key() == space.canonical_key()  # The same architecture values.
    True

    Args:
        space: A keras-nas search space.
        image_size: `(height, width)` of the images the copy takes; `None` keeps the size.
        width_multiplier: The factor applied to the space's width setting (rounded, at least
            1); `None` keeps it.
        cells_per_stage: The space's depth setting; `None` keeps it.

    Returns:
        A new space of the same class, whose choices and defaults are those of `space`.

    Raises:
        ValueError: If `space` is not a keras-nas space, `image_size` is given for inputs
            that are not images, or the space has no width or depth setting to change.
    """
    if not isinstance(space, SearchSpace):
        raise ValueError(
            "Changing the image size, width or depth of the networks needs a keras-nas search "
            "space (e.g. `NASBench201Space`), whose settings say how; a `build(hp)` function "
            f"or other hypermodel does not. Received: {type(space).__name__}. Reduce only the "
            "data and epochs (`ProxyTask(data_fraction=..., epochs=...)`) for such a hypermodel."
        )
    config = space.get_config()
    if image_size is not None:
        if len(space.input_shape) != 3:
            raise ValueError(
                f"`image_size` resizes images, but {type(space).__name__}'s inputs have the "
                f"shape {space.input_shape}, not (height, width, channels). Leave "
                "`image_size=None` for this space."
            )
        config["input_shape"] = [*image_size, space.input_shape[-1]]
    if width_multiplier is not None:
        name = _setting(space, "width_setting", "width_multiplier")
        config[name] = max(1, round(config[name] * width_multiplier))
    if cells_per_stage is not None:
        config[_setting(space, "depth_setting", "cells_per_stage")] = cells_per_stage
    return type(space).from_config(config)


def scalable_spaces(attribute: str) -> list[str]:
    """The names of the keras-nas spaces that have a width (or depth) setting."""
    from keras_nas import search_spaces

    names = []
    for name in sorted(dir(search_spaces)):
        candidate: Any = getattr(search_spaces, name)
        if isinstance(candidate, type) and issubclass(candidate, SearchSpace):
            if getattr(candidate, attribute) is not None:
                names.append(name)
    return names


def _setting(space: SearchSpace, attribute: str, argument: str) -> str:
    name = getattr(space, attribute)
    if name is None:
        raise ValueError(
            f"{type(space).__name__} has no {attribute.split('_')[0]} setting outside its "
            f"choices, so `{argument}` would change the architecture itself. Spaces that "
            f"support it: {', '.join(scalable_spaces(attribute))}. Leave `{argument}=None` "
            "for this space, or reduce the data, image size and epochs instead."
        )
    return name

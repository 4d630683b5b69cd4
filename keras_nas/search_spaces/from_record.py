"""A keras-nas search space rebuilt from what `search.json` records: its class's import path
and its `get_config()` (`keras-nas export` and `keras-nas reproduce` rebuild trials so)."""

from __future__ import annotations

import importlib
from typing import Any

from keras_nas.search_spaces.base import SearchSpace


def space_from_record(class_path: str, config: dict[str, Any], *, hint: str) -> SearchSpace:
    """The space of class `class_path` (only keras-nas's own are imported: the path comes
    from a file) made from `config`.

    Example:
    >>> space = space_from_record("keras_nas.search_spaces.mlp.MLPSpace",
    ...                           {"input_shape": [4], "num_classes": 3}, hint="")
    >>> type(space).__name__
    'MLPSpace'

    Args:
        class_path: The import path of the class, e.g. `"keras_nas.search_spaces.mlp.MLPSpace"`.
        config: The space's `get_config()`.
        hint: What to do instead, added to each error.

    Raises:
        ValueError: If the path is not a keras-nas search space's.
    """
    module_name, _, class_name = class_path.rpartition(".")
    if module_name.split(".")[0] != "keras_nas":
        raise ValueError(f"the search space {class_path} is not one of keras-nas's; {hint}")
    try:
        space_class = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as error:
        raise ValueError(
            f"cannot import the search space {class_path} ({error}); {hint}"
        ) from error
    if not (isinstance(space_class, type) and issubclass(space_class, SearchSpace)):
        raise ValueError(f"{class_path} is not a keras-nas search space; {hint}")
    return space_class.from_config(config)

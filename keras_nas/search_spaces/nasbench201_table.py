"""The NAS-Bench-201 table: the trained accuracy of every cell of `NASBench201Space`.

NAS-Bench-201 (Dong & Yang, ICLR 2020) trained all 15,625 cells of its space on three
datasets. With its table, a search strategy is measured without training: look the chosen
cell up by `NASBench201Space.to_arch_string(values)`. The table is not part of keras-nas; it
is read by path from a CSV with the columns `ArchitectureString`,
`CIFAR10TestAccuracy200Epochs`, `CIFAR100TestAccuracy200Epochs` and
`ImageNetTestAccuracy200Epochs`.
"""

from __future__ import annotations

import csv

#: The table's accuracy column of each dataset.
DATASET_COLUMNS = {
    "cifar10": "CIFAR10TestAccuracy200Epochs",
    "cifar100": "CIFAR100TestAccuracy200Epochs",
    "imagenet16-120": "ImageNetTestAccuracy200Epochs",
}


def load_nasbench201_table(path: str) -> dict[str, dict[str, float]]:
    """Reads the NAS-Bench-201 table: the test accuracy of each cell on each dataset.

    Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "table.csv")
    >>> with open(path, "w") as file:
    ...     _ = file.write("ArchitectureString,CIFAR10TestAccuracy200Epochs,"
    ...                    "CIFAR100TestAccuracy200Epochs,ImageNetTestAccuracy200Epochs\\n"
    ...                    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,10.0,1.0,0.83\\n")
    >>> load_nasbench201_table(path)["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"]
    {'cifar10': 10.0, 'cifar100': 1.0, 'imagenet16-120': 0.83}

    Args:
        path: The table's CSV file.

    Returns:
        `{arch_string: {dataset: test accuracy in percent}}`, with the datasets of
        `DATASET_COLUMNS`.

    Raises:
        ValueError: If the file lacks one of the needed columns.
    """
    with open(path, newline="") as file:
        reader = csv.DictReader(file)
        needed = {"ArchitectureString", *DATASET_COLUMNS.values()}
        missing = sorted(needed - set(reader.fieldnames or ()))
        if missing:
            raise ValueError(
                f"The table {path!r} lacks the columns {missing}; it must have "
                f"{sorted(needed)} (the NAS-Bench-201 table's CSV)."
            )
        return {
            row["ArchitectureString"]: {
                dataset: float(row[column]) for dataset, column in DATASET_COLUMNS.items()
            }
            for row in reader
        }

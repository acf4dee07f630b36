"""The ROI codes of the generated tables: one per primary ROI plus ``NotPrimary``, in sorted
order (the order of ``roi-connections.csv``'s ROI column categories).

Example:
    >>> CONN_ROIS[NOT_PRIMARY_CODE], ROI_LABELS[NOT_PRIMARY_CODE]
    ('NotPrimary', '')
"""

from __future__ import annotations

from typing import Final

import numpy as np

from ..rois import NOT_PRIMARY, PRIMARY_ROIS

# ROI codes of roi-connections.csv: rank in the sorted list of primary ROIs plus NotPrimary.
CONN_ROIS: Final[tuple[str, ...]] = tuple(sorted((*PRIMARY_ROIS, NOT_PRIMARY)))
PRIMARY_TO_CONN: Final = np.array([CONN_ROIS.index(r) for r in PRIMARY_ROIS], dtype=np.int64)
NOT_PRIMARY_CODE: Final = CONN_ROIS.index(NOT_PRIMARY)


CONN_TO_PRIMARY: Final = np.array(
    [PRIMARY_ROIS.index(r) if r != NOT_PRIMARY else -1 for r in CONN_ROIS], dtype=np.int64
)
ROI_LABELS: Final = tuple("" if r == NOT_PRIMARY else r for r in CONN_ROIS)  # empty: none

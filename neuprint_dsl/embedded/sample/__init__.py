"""A deterministic generator of synthetic, hemibrain-shaped connectome samples.

:func:`generate_sample` writes the CSV export that neuprint-python's
``fetch_adjacencies(export_dir=...)`` produces (``neurons.csv``, ``roi-connections.csv``,
``total-connections.csv``; or the ``traced-*`` names of the published hemibrain exports),
plus a ``meta.json``, and by default the synapse-level files ``synapses.csv``,
``synapse-connections.csv``, ``mitochondria.csv`` and ``closest-mitochondria.csv``. The data
are **synthetic**: they look like the hemibrain (its 63 real primary ROIs and their hierarchy,
realistic cell-type and instance names, status values, heavy-tailed degrees and weights) but
no row describes a real neuron. ``meta.json`` says so.

The same arguments always give byte-identical files. The model, in short:

* Neurons get a type from a hemibrain-like vocabulary (many Kenyon cells, one ``APL``,
  ``MBON01``-``MBON35``, ``PAM``/``PPL1`` dopaminergic types, uniglomerular PNs such as
  ``DA1_lPN``, central-complex types, numbered ``SMP001``-style families, visual projection
  neurons, ...) or stay untyped, and 1-4 *home* primary ROIs drawn from a pool that fits the
  type (KCs in ``CA(R)``, ``PED(R)`` and their lobes, ``EPG`` in ``EB``/``PB``/``GA(R)``, ...).
* Out-degrees follow a power law (Lomax propensity, scaled per type) and sum to exactly
  ``edges`` distinct ordered pairs without self-loops; partners are drawn preferentially from
  neurons that share a home ROI, weighted by a heavy-tailed in-attractiveness.
* Each connection weight is a synapse count with a discrete power-law tail
  (``P(w >= k) = k ** -alpha``, capped at 2,500), split multinomially over 1-3 primary ROIs
  (shared home ROIs if any, else the union of both home sets) and sometimes ``NotPrimary``;
  the per-ROI rows sum exactly to the total weight.
* Neuron counts are the exact sums of their connections: per ROI, ``post`` = ``upstream`` =
  incoming weight, ``downstream`` = outgoing weight, ``pre`` = ceil(downstream / k) for a
  per-neuron fan-out k in 2..8; super-level ROIs sum their primary children; the totals also
  count ``NotPrimary`` synapses, which have no ``roiInfo`` key.

Synapses realise those counts exactly (they come from a random generator of their own, so the
three files above are the same with or without them):

* Every roi-connection row ``a -> b`` in ROI ``r`` with weight ``k`` is ``k`` synapse pairs.
  Each pair ends in a post synapse of ``b`` of its own, in ``r``; it starts at one of ``a``'s
  ``ceil(downstream / k)`` T-bars (pre synapses) in ``r``, which share ``a``'s pairs in ``r``
  round-robin in random order, so each T-bar has at least one. Hence every count of
  ``neurons.csv`` (totals and each ``roiInfo`` entry, super-level ROIs included) and every
  connection weight equals the count of synapses or pairs, and a pair's two ends are in the
  same primary ROI. NotPrimary synapses have an empty ``roi``.
* Each primary ROI is a fixed box in a hemibrain-sized volume (:func:`sample_roi_boxes`, one
  cell of a 4x4x4 grid each, neighbouring its siblings); NotPrimary synapses lie in the
  space between the boxes. A neuron's T-bars in an ROI scatter around an arbor centre there;
  post synapses sit a few tens of voxels from their T-bar. Confidences are in (0.5, 1]
  (``postHighAccuracyThreshold`` is 0.5), skewed high, with 3 decimals for T-bars (as in
  neuPrint) and 6 for post synapses.
* Mitochondria: about one per 30-60 synapses of a neuron (at least one), shared among its
  groups of synapses (same type and ROI) by size; each lies near a random synapse of its
  group, in that synapse's ROI; ``dark``/``medium``/``light`` about 75/20/5%, ``size``
  lognormal around 200,000 voxels, radii ``r0 >= r1`` of tens of voxels, ``r2`` in (0.5, 1).
  About 90% of synapses have a ``closest-mitochondria.csv`` row to a mitochondrion of their
  own neuron, (nearly always) the nearest one; its ``distance`` is the euclidean distance
  times a random path factor in [1, 1.6) less ``r1``, at least 0.
* Synapse ids are ``1..S`` in the order of ``synapses.csv`` (by neuron, then T-bars before
  post synapses, then ROI); mitochondrion ids continue from ``S + 1``.

Modules (the public names are the ones this package exports; its modules are internal):

* ``files``: the files, columns, default arguments and argument checks; :class:`SampleInfo`
* ``cached``: the samples kept in the cache directory (:func:`ensure_sample`)
* ``generate``: the pipeline from a seed to the files (:func:`generate_sample`)
* ``vocabulary``: the cell types, their names, home ROIs and abundance
* ``neurons``: body ids, types, home ROIs, degree propensities
* ``connections``: the pairs, their weights and per-ROI split, the per-(neuron, ROI) counts
* ``neuron_table``: the rows of ``neurons.csv`` (``roiInfo``, status, somata, ...)
* ``roi_codes``: the ROI codes of the generated tables
* ``geometry``: the ROI boxes synapses lie in (:func:`sample_roi_boxes`)
* ``synapses``: synapses, pairs, mitochondria and CloseTo rows, in five phases
* ``write``: writing the files and ``meta.json``
* ``csv_writer``: the CSV writer (pyarrow's, with the sample's number format)
* ``arrays``: the numpy array types they share

May import: the foundation (``neuprint_dsl.errors``, ``neuprint_dsl.cache``,
``neuprint_dsl.progress``, ``neuprint_dsl.version``), ``neuprint_dsl.query`` (the default
neuron columns) and the other modules of ``neuprint_dsl.embedded`` (``rois``, ``tables``).
Never: the package root, ``transports``, ``compat``, ``cli``.

Example:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     info = generate_sample(tmp, neurons=50, edges=200, seed=1)
    ...     print(info.neurons, info.edges, info.neurons_csv.name)
    ...     print(info.total_connections_csv.read_text().splitlines()[0])
    ...     print(info.synapse_pairs == info.total_weight, info.mitochondria > 0)
    50 200 neurons.csv
    bodyId_pre,bodyId_post,weight
    True True
"""

from __future__ import annotations

from ...cache import cache_dir
from .cached import default_sample_dir, ensure_sample
from .files import (
    CLOSEST_MITOCHONDRIA_COLUMNS,
    DATASET_NAME,
    DEFAULT_SAMPLE,
    GENERATOR_FORMAT,
    MITOCHONDRIA_COLUMNS,
    NEURON_COLUMNS,
    ROI_CONNECTION_COLUMNS,
    SYNAPSE_COLUMNS,
    SYNAPSE_CONNECTION_COLUMNS,
    SYNAPSE_FILE_NAMES,
    TOTAL_CONNECTION_COLUMNS,
    Naming,
    Progress,
    SampleInfo,
    sample_file_names,
)
from .generate import SYNAPSES_UP_TO_EDGES, generate_sample
from .geometry import SAMPLE_VOLUME, sample_roi_boxes

__all__ = [
    "CLOSEST_MITOCHONDRIA_COLUMNS",
    "DATASET_NAME",
    "DEFAULT_SAMPLE",
    "GENERATOR_FORMAT",
    "MITOCHONDRIA_COLUMNS",
    "NEURON_COLUMNS",
    "ROI_CONNECTION_COLUMNS",
    "SAMPLE_VOLUME",
    "SYNAPSES_UP_TO_EDGES",
    "SYNAPSE_COLUMNS",
    "SYNAPSE_CONNECTION_COLUMNS",
    "SYNAPSE_FILE_NAMES",
    "TOTAL_CONNECTION_COLUMNS",
    "Naming",
    "Progress",
    "SampleInfo",
    "cache_dir",
    "default_sample_dir",
    "ensure_sample",
    "generate_sample",
    "sample_file_names",
    "sample_roi_boxes",
]

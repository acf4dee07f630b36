"""neuprint-python's public API, built on neuprint-dsl (DESIGN section 9).

Switch by changing an import: ``from neuprint_dsl.compat import Client, fetch_neurons,
NeuronCriteria as NC``. Every criteria object is also a DSL predicate, so old queries gain
``&``, ``|`` and ``~``; every function runs on any transport (a neuPrint server, or the
embedded engine with ``Client(transport=neuprint_dsl.embedded(path))``).

Modules, from the bottom up (each imports only those above it in this list):

- ``criteria``: ``NeuronCriteria`` (= ``SegmentCriteria``), ``IsNull``/``NotNull``,
  ``as_criteria`` (what neuprint-python accepts as criteria), a DSL predicate each.
- ``skeleton_frames``: skeleton DataFrames: SWC, healing (scipy), re-rooting, segments,
  upsampling, synapses attached, networkx graphs.
- ``endpoints``: the ``Client``'s neuPrintHTTP endpoint methods (a mixin), local answers on
  the embedded engine.
- ``client``: ``Client``, the default client (``inject_client``), the query log.
- ``point_criteria``: the base of ``SynapseCriteria``/``MitoCriteria`` and the ROI and flag
  checks they share.
- ``tables``: the DataFrames of the point functions (empty tables, row order, dtypes).
- ``batches``: criteria to predicates, bodies in batches, batches run with a progress bar.
- ``properties``: neuron properties for lists of bodies.
- ``edges``: what is read of connections beyond a statement's columns (neuPrint's one query
  per batch, ``roiInfo`` texts, ``weight_props``, the embedded engine's weights).
- ``adjacencies`` (``fetch_adjacencies``, ``fetch_traced_adjacencies``, ``export_dir``),
  ``neurons``, ``connectivity`` (simple connections, common connectivity, shortest paths;
  re-exports the adjacency functions), ``paths``, ``synapses`` (``SynapseCriteria`` and
  the synapse functions), ``mito`` (``MitoCriteria`` and the mitochondrion functions),
  ``recon``, ``rois``, ``skeleton`` (``neuprint.skeleton``: ``fetch_skeleton`` and
  ``skeleton_frames``), ``utils`` (``neuprint.utils`` and ``neuprint.wrangle`` table
  helpers): the public functions, re-exported here.

Layer L7 (API). May import: L0-L6 (errors, expr, fields, query, validate, cypher, frames,
execute, progress, transports, embedded, neuprinthttp, ...). Never: cli, the package root.

Example:
    >>> from neuprint_dsl.compat import NeuronCriteria as NC
    >>> print((NC(type="MBON.*") | NC(bodyId=[1, 2])).to_text())
    type =~ "MBON.*" or bodyId in [1, 2]
"""

from .adjacencies import fetch_adjacencies, fetch_traced_adjacencies
from .client import (
    Client,
    clear_default_client,
    default_client,
    disable_debug_logging,
    inject_client,
    list_all_clients,
    set_default_client,
    setup_debug_logging,
)
from .connectivity import (
    fetch_common_connectivity,
    fetch_shortest_paths,
    fetch_simple_connections,
)
from .criteria import (
    IsNull,
    NeuronCriteria,
    NotNull,
    NullCheck,
    SegmentCriteria,
    as_criteria,
    criteria_label,
)
from .mito import (
    MitoCriteria,
    fetch_connection_mitochondria,
    fetch_mitochondria,
    fetch_synapses_and_closest_mitochondria,
)
from .neurons import fetch_custom_neurons, fetch_neurons
from .paths import fetch_paths
from .recon import fetch_downstream_orphan_tasks, fetch_output_completeness
from .rois import fetch_all_rois, fetch_meta, fetch_primary_rois, fetch_roi_hierarchy
from .skeleton import (
    attach_synapses_to_skeleton,
    calc_segment_distances,
    distances_from_root,
    fetch_skeleton,
    heal_skeleton,
    reorient_skeleton,
    skeleton_df_to_nx,
    skeleton_df_to_swc,
    skeleton_segments,
    skeleton_swc_to_df,
    upsample_skeleton,
)
from .synapses import (
    SynapseCriteria,
    fetch_mean_synapses,
    fetch_synapse_connections,
    fetch_synapses,
)
from .utils import (
    assign_sides_in_groups,
    available_datasets,
    bilateral_syndist,
    connection_table_to_matrix,
    merge_neuron_properties,
    syndist_matrix,
)


@inject_client
def fetch_custom(
    cypher: str, dataset: str = "", format: str = "pandas", *, client: Client | None = None
) -> object:
    """Run raw Cypher on the (default) client: ``fetch_custom(q)`` is ``client.fetch_custom(q)``."""
    assert client is not None
    return client.fetch_custom(cypher, dataset, format=format)  # type: ignore[call-overload]


__all__ = [
    "Client",
    "IsNull",
    "MitoCriteria",
    "NeuronCriteria",
    "NotNull",
    "NullCheck",
    "SegmentCriteria",
    "SynapseCriteria",
    "as_criteria",
    "assign_sides_in_groups",
    "attach_synapses_to_skeleton",
    "available_datasets",
    "bilateral_syndist",
    "calc_segment_distances",
    "clear_default_client",
    "connection_table_to_matrix",
    "criteria_label",
    "default_client",
    "disable_debug_logging",
    "distances_from_root",
    "fetch_adjacencies",
    "fetch_all_rois",
    "fetch_common_connectivity",
    "fetch_connection_mitochondria",
    "fetch_custom",
    "fetch_custom_neurons",
    "fetch_downstream_orphan_tasks",
    "fetch_mean_synapses",
    "fetch_meta",
    "fetch_mitochondria",
    "fetch_neurons",
    "fetch_output_completeness",
    "fetch_paths",
    "fetch_primary_rois",
    "fetch_roi_hierarchy",
    "fetch_shortest_paths",
    "fetch_simple_connections",
    "fetch_skeleton",
    "fetch_synapse_connections",
    "fetch_synapses",
    "fetch_synapses_and_closest_mitochondria",
    "fetch_traced_adjacencies",
    "heal_skeleton",
    "inject_client",
    "list_all_clients",
    "merge_neuron_properties",
    "reorient_skeleton",
    "set_default_client",
    "setup_debug_logging",
    "skeleton_df_to_nx",
    "skeleton_df_to_swc",
    "skeleton_segments",
    "skeleton_swc_to_df",
    "syndist_matrix",
    "upsample_skeleton",
]

"""The commands that describe a dataset: ``fields`` (what a query may name, with types) and
``rois`` (the ROI names, as a tree).

Example:
    >>> hierarchy, names, primary = roi_meta({"rois": '["EB", "FB"]', "primaryRois": ["EB"]})
    >>> names, primary
    (['EB', 'FB'], {'EB'})
"""

from __future__ import annotations

import json
from typing import Any

import click

from ..errors import NeuprintDSLError
from .exits import EXIT_FAILURE, fail, fail_for
from .options import epilog, format_option
from .output import open_output, write_frame
from .sources import dataset_schema, source, source_options

__all__ = ["fields_command", "roi_meta", "rois_command"]


_RECORD_KINDS = (
    ("neuron", "node_properties"),
    ("connection", "edge_properties"),
    ("synapse", "synapse_properties"),
    ("mitochondrion", "mito_properties"),
)


@click.command(
    "fields",
    epilog=epilog(
        "neuprint-dsl fields",
        "neuprint-dsl fields --db big.lbug --format csv",
        "neuprint-dsl fields --server https://neuprint.janelia.org --dataset hemibrain:v1.2.1",
    ),
)
@source_options
@format_option(["table", "csv", "json"])
def fields_command(
    db: str | None,
    server: str | None,
    dataset: str | None,
    token_file: str | None,
    timeout: float,
    output_format: str,
) -> None:
    """List the dataset's fields and their types: what a query may name (neurons,
    connections, synapses, mitochondria)."""
    import pandas as pd

    schema = dataset_schema(db, server, dataset, token_file, timeout)
    rows: list[tuple[str, str, str]] = []
    unknown: list[str] = []
    for record, attribute in _RECORD_KINDS:
        properties = getattr(schema, attribute, None) if schema is not None else None
        if properties is None:
            unknown.append(record)
            continue
        if record == "synapse" and schema.has_synapses is False:
            continue
        if record == "mitochondrion" and schema.has_mitochondria is False:
            continue
        names = sorted(properties, key=lambda n: (n != "bodyId", n.lower(), n))
        rows.extend((record, name, str(properties[name])) for name in names)
    frame = pd.DataFrame(rows, columns=["record", "field", "type"])
    with open_output(None) as sink:
        write_frame(frame, output_format, sink, count=False)
    if unknown:
        click.echo(
            "note: this dataset does not list the fields of: " + ", ".join(unknown), err=True
        )
    click.echo(
        'note: ROIs are fields too: roi("NAME"), inputs("NAME"), outputs("NAME"); '
        "list them with 'neuprint-dsl rois'",
        err=True,
    )


@click.command(
    "rois",
    epilog=epilog(
        "neuprint-dsl rois",
        "neuprint-dsl rois --primary",
        "neuprint-dsl rois --server https://neuprint.janelia.org --dataset hemibrain:v1.2.1",
    ),
)
@source_options
@click.option("--flat", is_flag=True, help="One ROI per line, sorted (no tree).")
@click.option("--primary", is_flag=True, help="Only the primary ROIs, one per line.")
def rois_command(
    db: str | None,
    server: str | None,
    dataset: str | None,
    token_file: str | None,
    timeout: float,
    flat: bool,
    primary: bool,
) -> None:
    """Show the dataset's ROIs as a tree (primary ROIs marked *): the names roi("..."),
    inputs("...") and outputs("...") take."""
    from ..display import roi_tree_lines
    from ..transports.neuprint_http import NeuprintHTTP

    with source(db, server, dataset, token_file, timeout) as transport:
        try:
            meta = transport.fetch_meta() if isinstance(transport, NeuprintHTTP) else transport.meta
        except NeuprintDSLError as err:
            fail_for(err)
    hierarchy, names, primaries = roi_meta(meta)
    if not names:
        fail("this dataset lists no ROIs", EXIT_FAILURE)
    with open_output(None) as sink:
        if primary:
            sink.write_lines(sorted(primaries))
        elif flat:
            sink.write_lines(sorted(names))
        else:
            sink.write_lines(roi_tree_lines(hierarchy, names, primaries))
    name = meta.get("dataset") or dataset or "the dataset"
    click.echo(f"{name}: {len(names)} ROIs, {len(primaries)} primary", err=True)


def roi_meta(meta: Any) -> tuple[Any, list[str], set[str]]:
    """The ROI hierarchy (or ``None``), every ROI name and the primary ones, from a Meta
    node (neuPrint's, JSON strings parsed) or an embedded database's meta.

    Example:
        >>> tree = {"name": "brain", "children": [{"name": "CX", "children": [{"name": "EB"}]}]}
        >>> _, names, primary = roi_meta({"roiHierarchy": tree, "primaryRois": ["EB"]})
        >>> names, primary
        (['CX', 'EB'], {'EB'})
    """

    def loaded(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return None
        return value

    hierarchy = loaded(meta.get("roiHierarchy"))
    if not isinstance(hierarchy, dict) or "name" not in hierarchy:
        hierarchy = None
    names: set[str] = set()
    for key in ("rois", "primaryRois"):
        value = loaded(meta.get(key))
        if isinstance(value, list):
            names.update(str(v) for v in value)
    info = loaded(meta.get("roiInfo"))
    if isinstance(info, dict):
        names.update(str(k) for k in info)
    primary = loaded(meta.get("primaryRois"))
    primaries = {str(v) for v in primary} if isinstance(primary, list) else set()
    if hierarchy is not None:
        stack = list(hierarchy.get("children") or [])
        while stack:
            node = stack.pop()
            if isinstance(node, dict) and "name" in node:
                names.add(str(node["name"]))
                stack.extend(node.get("children") or [])
    return hierarchy, sorted(names), primaries

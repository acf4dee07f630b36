"""The commands that make and inspect embedded databases: ``sample`` (write a synthetic
connectome in neuPrint's export format), ``load`` (an export into a database file) and
``info`` (a database's dataset, counts and ROIs).

Example:
    >>> from click.testing import CliRunner
    >>> "--neurons" in CliRunner().invoke(sample_command, ["--help"]).output
    True
"""

from __future__ import annotations

import click

from ..errors import NeuprintDSLError
from .exits import EXIT_FAILURE, fail
from .options import epilog
from .output import open_output, say
from .sources import open_database

__all__ = ["info_command", "load_command", "sample_command"]


@click.command(
    "sample",
    epilog=epilog(
        "neuprint-dsl sample --out sample/",
        "neuprint-dsl sample --neurons 25000 --edges 3000000 --no-synapses --out big/",
        doc="docs/sample.md",
    ),
)
@click.option("--neurons", type=int, default=3000, show_default=True, help="Number of neurons.")
@click.option(
    "--edges", type=int, default=150_000, show_default=True, help="Number of connections."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, writable=True),
    required=True,
    help="Directory to write the export CSVs into.",
)
@click.option(
    "--naming",
    type=click.Choice(["adjacencies", "traced"]),
    default="adjacencies",
    show_default=True,
    help="File names: neuprint-python's export_dir names, or the hemibrain 'traced-*' names.",
)
@click.option(
    "--synapses/--no-synapses",
    default=None,
    help="Also write synapses, synapse pairs and mitochondria (about 6 synapses per "
    "connection). Default: only for at most 200,000 connections.",
)
def sample_command(
    neurons: int, edges: int, seed: int, out_dir: str, naming: str, synapses: bool | None
) -> None:
    """Write a synthetic, hemibrain-shaped connectome in neuPrint's export format.

    \b
    Sizes (2-core machine):
      3,000 / 150,000 (default)  with 0.9 M synapses: 93 MB of CSV
      25,000 / 3,000,000         no synapses: 220 MB of CSV, loads in about a minute
      25,000 / 3,000,000 --synapses  18.8 M synapses: 4.3 GB database, 15 minutes or more to load
    """
    from ..embedded.sample import generate_sample
    from ..progress import stage_bar

    try:
        with stage_bar("generating") as progress:
            info = generate_sample(
                out_dir,
                neurons=neurons,
                edges=edges,
                seed=seed,
                naming=naming,  # type: ignore[arg-type]
                progress=progress,
                synapses=synapses,
            )
    except (ValueError, OSError) as err:
        fail(str(err))
    extra = f", {info.synapses} synapses" if info.synapses_csv is not None else ""
    say(
        f"wrote a synthetic sample ({neurons} neurons, {edges} connections{extra}, seed {seed}) "
        f"to {info.directory}"
    )


@click.command(
    "load",
    epilog=epilog(
        "neuprint-dsl load big/ --db big.lbug",
        "neuprint-dsl load exports/manc --db manc.lbug --dataset manc:v1.0",
        doc="docs/embedded.md",
    ),
)
@click.argument("export_dir", type=click.Path(file_okay=False))
@click.option(
    "--db", type=click.Path(dir_okay=False), required=True, help="Database file to create."
)
@click.option("--dataset", help="Dataset name to record (default: from meta.json or the folder).")
def load_command(export_dir: str, db: str, dataset: str | None) -> None:
    """Load a neuPrint export directory into an embedded database (all or nothing)."""
    from ..embedded import load
    from ..progress import stage_bar

    try:
        with stage_bar("reading") as progress:
            path = load(export_dir, db, dataset=dataset, progress=progress)
    except NeuprintDSLError as err:
        fail(str(err))
    say(f"loaded {export_dir} into {path}")


@click.command(
    "info",
    epilog=epilog(
        "neuprint-dsl info",
        "neuprint-dsl info --db big.lbug --verify",
        doc="docs/embedded.md",
    ),
)
@click.option(
    "--db", type=click.Path(dir_okay=False), help="Embedded database (default: the sample)."
)
@click.option(
    "--verify",
    is_flag=True,
    help="Also check every byte of the database file against the checksum its load recorded.",
)
def info_command(db: str | None, verify: bool) -> None:
    """Show an embedded database's dataset, counts and ROIs."""
    from ..embedded.build import roi_weight_notes, verify_database
    from ..transports.ladybug import Embedded, count_rows

    database: Embedded
    with open_database(db) as database:  # opening checks the row counts the load recorded
        meta = database.meta
        counts = count_rows(database)
    if verify:
        problems = verify_database(database.path)
        if problems:
            fail(f"{database.path}: " + "; ".join(problems), EXIT_FAILURE)
    synthetic = " (synthetic)" if meta.get("synthetic") else ""
    lines = [f"dataset: {meta.get('dataset')}{synthetic}", f"database: {database.path}"]
    lines.extend(f"{name}: {count}" for name, count in counts.items())
    primary = meta.get("primaryRois", [])
    lines.append(f"ROIs: {len(meta.get('rois', []))} ({len(primary)} primary)")
    lines.append("primary ROIs: " + ", ".join(primary))
    if verify:
        lines.append("verified: the file and its row counts are what the load wrote")
    if not meta.get("roiWeights", True):
        lines.append(
            "per-ROI connection weights: absent (the export had no roi-connections.csv); "
            "per-ROI connection queries are refused"
        )
    lines.extend(roi_weight_notes(meta))
    with open_output(None) as sink:
        sink.write_lines(lines)

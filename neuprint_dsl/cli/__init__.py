"""The ``neuprint-dsl`` command line (docs/cli.md).

Errors print one clear message (with a caret for query text) and exit non-zero — 2 for bad
input, 1 when a database, server or output file fails — never a traceback. Every byte of
output is checked: a write that fails (a full disk, a file-size limit, ``/dev/full``) is an
error, and ``-o FILE`` is written to a temporary file that replaces FILE only when complete.

Modules, one job each:

* ``app``: the command group (every command registered in one place) and :func:`main`, the
  console script's entry point;
* ``language``: ``compile`` and ``format`` (query text; no data opened unless asked);
* ``querying``: ``query`` (run a statement, write its result);
* ``describe``: ``fields`` and ``rois`` (what a dataset holds);
* ``databases``: ``sample``, ``load`` and ``info`` (embedded databases and their exports);
* ``sources``: where the data is (``--db``, ``--server``, ``--dvid``, ``--neuronjson``);
* ``output``: where output goes (every write checked) and in which format;
* ``options``: the epilog and options the commands share;
* ``exits``: exit statuses and the one-line error.

Layer L8 (top). May import every layer below (language, compilers, execute, transports,
embedded, display, plot, progress). Nothing in the package imports it.

Example:
    $ neuprint-dsl compile 'type =~ "MBON.*" and roi("MB(R)")' --to neo4j
    $ neuprint-dsl format 'TYPE =~ "MBON.*" AND NOT cropped'
    $ neuprint-dsl query 'neurons where type =~ "MBON.*" and roi("MB(R)")'
    $ neuprint-dsl query --server neuprint.janelia.org --dataset hemibrain:v1.2.1 'type = "APL"'
"""

from __future__ import annotations

from .app import cli, main

__all__ = ["cli", "main"]

"""neuPrintHTTP's API, below the transport (docs/http.md).

The transport :class:`~neuprint_dsl.transports.NeuprintHTTP` sends the requests; what it
checks and how it reads the answers lives here, a module per job:

* ``checks.py``: server address, token, timeout and hand-written Cypher text, checked before
  anything is sent;
* ``decode.py``: fast, exact decoding of the JSON answers (msgspec, numpy for tables of
  integers; always what ``json.loads`` gives);
* ``answers.py``: a reply read whole, the error for a failed one, the check of a Cypher
  answer's ``columns`` and ``data``, the server version;
* ``arrow.py``: ``/api/custom/arrow`` answers, read whole and taken only when exact;
* ``tables.py``: the rows of an answer as a DataFrame (object columns, or int64 for the
  executor).

Layer L5 (backends). May import: L0-L4 (errors, ...) and ``http_session``. Never:
``transports``, ``compat``, ``cli``, the package root.

Example:
    >>> from neuprint_dsl.neuprinthttp.answers import parse_version
    >>> parse_version("1.7.3") >= (1, 7, 3)
    True
"""

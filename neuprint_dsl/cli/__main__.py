"""``python -m neuprint_dsl.cli``: the ``neuprint-dsl`` command."""

from .app import main

main()

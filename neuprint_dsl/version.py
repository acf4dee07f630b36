"""The package's version, in a module of its own (layer L0: imports nothing), so that any
module can read it without importing the package root.

Example:
    >>> from neuprint_dsl.version import __version__
    >>> import neuprint_dsl
    >>> neuprint_dsl.__version__ == __version__
    True
"""

__version__ = "0.1.0"

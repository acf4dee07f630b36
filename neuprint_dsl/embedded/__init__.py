"""The embedded engine: a local, in-process connectome database and its sample data."""

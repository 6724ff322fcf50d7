"""Results tables of the docs, one module per application (see ``benchmarks.report``)."""

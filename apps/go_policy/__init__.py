"""Go policy network application: rules engine, SGF datasets, policy CNN, GTP engine."""

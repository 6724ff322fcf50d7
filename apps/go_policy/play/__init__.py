"""Playing: the move-choosing engine, GTP, matches, terminal play, analysis and game review."""

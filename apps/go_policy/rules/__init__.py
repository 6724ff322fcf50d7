"""The rules of Go: board and captures, handicap placement, scoring with dead stones, SGF records."""

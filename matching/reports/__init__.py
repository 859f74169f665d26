"""Reports: the round's figures, year on year, and their downloads."""

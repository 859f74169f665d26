"""Instance generator and solver benchmarks for the matching round."""

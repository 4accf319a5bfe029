"""ci-metrics as a distribution: built, checked and installed the way its users install it."""

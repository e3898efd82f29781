"""Independent implementations the tests hold the C++ core against."""

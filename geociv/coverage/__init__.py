"""Service coverage: walk networks, isochrones, population coverage and site suggestion."""

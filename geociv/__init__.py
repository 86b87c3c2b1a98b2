"""geociv: GIS for civil-affairs bureaus — place names, boundary inspection, service circles."""

__version__ = "0.1.0"

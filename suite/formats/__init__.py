"""Readers (and writers, for smoke data and tests) of upstream file formats, one module per format."""

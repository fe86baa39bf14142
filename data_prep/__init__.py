"""Corpus preparation: builders and importers that write the signgen corpus layout (see signgen.corpus)."""

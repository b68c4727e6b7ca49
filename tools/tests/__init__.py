"""Tests of the Python tools: /usr/bin/python3 -m unittest discover -s tools/tests -t . (from the repository root)."""

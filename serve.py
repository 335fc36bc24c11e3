"""Puente's one entry point: `python serve.py --help`."""

import sys

from backend.cli import main

if __name__ == "__main__":
    sys.exit(main())

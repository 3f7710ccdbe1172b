"""`python -m lingxi.cli`."""

from lingxi.cli.main import main

main()

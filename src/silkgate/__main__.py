"""`python -m silkgate`: the same as the `silkgate` command."""

from silkgate.cli import main

main()

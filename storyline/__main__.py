"""`python -m storyline`: the command line."""

from storyline.serve.cli import main

main()

"""`python -m talentsim` is the `talentsim` command."""

from talentsim.cli import main

if __name__ == "__main__":
    main(prog_name="talentsim")

"""tito: the tinytorch student's command line.

Installed by the course kit (`python -m course kit` builds it) with the release notebooks, the
checkpoints and the tools that export a student's own library; `tito --help` lists the commands.
The kit holds no reference code and no hidden tests."""
__version__ = "0.1.0"

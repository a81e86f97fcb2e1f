"""The command line (python -m bot), one module per group of commands; bot/__main__.py puts
them together. Each command takes the settings and the parsed arguments and returns an exit code."""

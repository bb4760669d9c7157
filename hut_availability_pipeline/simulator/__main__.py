"""`python -m hut_availability_pipeline.simulator`: run the simulator in the foreground."""

import argparse

from . import add_arguments, config_from_args, run_simulator


def main() -> None:
    """Parse the simulator options and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m hut_availability_pipeline.simulator", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args()
    run_simulator(config_from_args(args), host=args.host, port=args.port)


if __name__ == "__main__":
    main()

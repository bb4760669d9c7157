"""A local stand-in for hut-reservation.org: the two public endpoints for the catalog's huts, with
seeded booking dynamics, a simulated clock, switchable faults and a served-state log."""

from .cli import add_arguments, config_from_args
from .core import Simulator, SimulatorConfig
from .faults import MALFORMED_KINDS, FaultConfig
from .model import DayState
from .server import SimulatorServer, run_simulator

__all__ = [
    "MALFORMED_KINDS",
    "DayState",
    "FaultConfig",
    "Simulator",
    "SimulatorConfig",
    "SimulatorServer",
    "add_arguments",
    "config_from_args",
    "run_simulator",
]

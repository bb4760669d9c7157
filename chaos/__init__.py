"""Chaos run: drive the simulator over many simulated days while injecting faults, then let a
replay oracle compare what was served with what the database holds (`python -m chaos.run`)."""

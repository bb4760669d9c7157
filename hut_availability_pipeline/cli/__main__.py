"""`python -m hut_availability_pipeline.cli`: the same as `hut-availability`."""

import sys

from . import main

sys.exit(main())

import sys

from scalargrad.workshop.cli import main

sys.exit(main())

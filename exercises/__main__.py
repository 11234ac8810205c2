"""`python -m exercises`: check the workbook (or another file) and print pass/fail."""

import sys

from .check import main

sys.exit(main())

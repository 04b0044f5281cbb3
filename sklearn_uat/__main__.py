"""``python -m sklearn_uat``: the same command line as ``sklearn-uat``."""

import sys

from ._cli import main

sys.exit(main())

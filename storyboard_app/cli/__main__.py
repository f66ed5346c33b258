"""``python -m storyboard_app.cli``."""

import sys

from storyboard_app.cli import main

sys.exit(main())

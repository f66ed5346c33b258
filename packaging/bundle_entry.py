"""The bundle's one program: ``storyboard-app`` starts the desktop app, ``storyboard`` the CLI.

PyInstaller builds this script twice under the two names (packaging/storyiter-studio.spec);
both share one folder of libraries, so torch and Qt are in the bundle once.
"""

import sys
from pathlib import Path


def main() -> int:
    if Path(sys.executable).stem == "storyboard-app":
        from storyboard_app.__main__ import main as run
    else:
        from storyboard_app.cli import main as run
    return run()


if __name__ == "__main__":
    sys.exit(main())

"""The bundle's one program: ``storyboard-app`` starts the desktop app, ``storyboard`` the CLI.

PyInstaller builds this script twice under the two names (packaging/storyiter-studio.spec);
both share one folder of libraries, so torch and Qt are in the bundle once.

In a bundle ``sys.executable`` is the program itself, not a Python: the app starts its
engine process as ``sys.executable -m engine.process_main FD``, so ``-m MODULE ARGS`` runs
that module as ``python -m`` would.
"""

import runpy
import sys
from pathlib import Path


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "-m":
        module = sys.argv[2]
        sys.argv = [module, *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    if Path(sys.executable).stem == "storyboard-app":
        from storyboard_app.__main__ import main as run
    else:
        from storyboard_app.cli import main as run
    return run()


if __name__ == "__main__":
    sys.exit(main())

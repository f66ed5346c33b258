"""The engine for a choice of devices: in this process, on a local Ray instance, or a cluster."""

from __future__ import annotations

import argparse

from engine.api import Devices, ModelPaths, PassEngine, RuntimeSettings


def make_engine(
    paths: ModelPaths, runtime: RuntimeSettings | None = None, devices: Devices | int = 1
) -> PassEngine:
    """The in-process ``StoryIterEngine`` for one device, a ``RayEngine`` for more or a cluster.

    Nothing starts here: the first pass (or ``start()``) loads the models and starts Ray.
    """
    choice = devices if isinstance(devices, Devices) else Devices(devices)
    if choice.in_process:
        from engine.story_iter import StoryIterEngine

        return StoryIterEngine(paths, runtime)
    from engine.cluster import RayEngine

    return RayEngine(paths, runtime, choice)


def add_devices_arguments(parser: argparse.ArgumentParser) -> None:
    """``--devices N`` and ``--cluster ADDRESS``, as both commands take them."""
    parser.add_argument(
        "--devices",
        type=int,
        default=None,
        help="draw on N devices of this machine (a local Ray instance; 0 = every GPU)",
    )
    parser.add_argument(
        "--cluster",
        metavar="ADDRESS",
        default="",
        help="draw on an existing Ray cluster (host:port of its head; token as Ray documents)",
    )


def devices_from_args(args: argparse.Namespace) -> Devices:
    """The ``Devices`` the arguments ask for (a cluster without ``--devices``: all its GPUs)."""
    count = args.devices if args.devices is not None else (0 if args.cluster else 1)
    return Devices(count, args.cluster)

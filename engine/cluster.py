"""Scale-out on Ray: one engine per device (a Ray actor), a pass's batches dealt to them.

``RayEngine`` is a ``PassEngine``. It runs a local Ray instance (``Devices(count=N)``) or
joins an existing cluster (``Devices(cluster=ADDRESS)``), checks on every node that the
model files are there, and starts one ``DeviceEngine`` actor per GPU (per CPU process with
device ``cpu``), each loading the models once and keeping them. A pass is cut into the
very batches one device would draw (``engine.batches.deal_batches``), the shares go to the
actors, and every progress event and finished frame streams back as it happens.

Why whole batches: a frame's pixels depend (by a float rounding or so) on which frames share
its pipeline call; a batch drawn by any actor is the call one device makes, with the same
per-frame CPU-seeded generators, so images and embeddings are identical, bit for bit.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from engine.api import (
    FAST_STEPS,
    CancelToken,
    Devices,
    EventKind,
    FrameResult,
    ModelPaths,
    PassRequest,
    ProgressCallback,
    ProgressEvent,
    RuntimeSettings,
)
from engine.batches import DEFAULT_BATCH, deal_batches
from engine.errors import EngineError, EngineLostError, ModelError

log = logging.getLogger(__name__)

RAY_MISSING = (
    "Drawing on several devices needs Ray: pip install 'storyiter-studio[cluster]' "
    "(on every machine of a cluster)."
)
TOKEN_MISSING = (
    "The Ray cluster at {address} asks for its authentication token and none was found: "
    "set RAY_AUTH_TOKEN, or RAY_AUTH_TOKEN_PATH to a file holding it, or put it in "
    "~/.ray/auth_token (`ray get-auth-token` on the head node prints it)."
)
TOKEN_REFUSED = (
    "The Ray cluster at {address} refused the authentication token (RAY_AUTH_TOKEN, "
    "RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token): it is not the cluster's token."
)
CANCEL_DRAIN_TIMEOUT = 60.0  # actors stop within a step; past this they are killed
_POLL = 0.05  # how often a waiting pass looks at the caller's cancel token


@dataclass(frozen=True)
class _Share:
    rank: int
    frame_ids: set[str]


class RayEngine:
    """Runs passes on one Ray actor per device; the pass interface of ``StoryIterEngine``.

    Ray and the actors start on first use (or ``start()``) and stay up, models loaded,
    until ``close()``. If an actor or its node dies, the pass raises EngineLostError (the
    frames yielded before are kept, the pass is resumable) and the next pass starts fresh
    actors. Owned by one thread.
    """

    def __init__(
        self,
        paths: ModelPaths,
        runtime: RuntimeSettings | None = None,
        devices: Devices | None = None,
    ) -> None:
        self.paths = paths
        self.runtime = runtime or RuntimeSettings()
        self.devices = devices or Devices(2)
        if self.runtime.device not in ("auto", "cuda", "cpu"):
            raise EngineError(
                f"Device {self.runtime.device!r} is one device; to draw on several, use "
                "device auto, cuda or cpu (CUDA_VISIBLE_DEVICES chooses which GPUs)."
            )
        self.encode_count = 0
        self._ray: Any = None
        self._joined = False  # this engine called ray.init (and so calls ray.shutdown)
        self._actors: list[Any] = []
        self._infos: list[Any] = []
        self._seq = 0
        self._busy = False
        self._told_idle = False

    # ------------------------------------------------------------------ life cycle

    def start(self) -> None:
        """Start Ray (or join the cluster), check the model files, load the models."""
        self._ensure_actors(_ignore)

    def close(self) -> None:
        """Stop the actors; leave the Ray instance this engine started or joined."""
        self._discard_actors()
        if self._joined and self._ray is not None:
            self._ray.shutdown()
        self._joined = False

    def __enter__(self) -> RayEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def device(self) -> str:
        """Every actor's device and node, e.g. ``cuda:0@10.0.0.5+cuda:0@10.0.0.6``."""
        self._ensure_actors(_ignore)
        return "+".join(f"{i.device}@{i.node}" for i in self._infos)

    @property
    def actor_pids(self) -> tuple[int, ...]:
        """Process ids of the running actors (empty before the first pass)."""
        return tuple(i.pid for i in self._infos)

    def fingerprints(self) -> dict[str, str]:
        self._ensure_actors(_ignore)
        return dict(self._infos[0].fingerprints)

    # ------------------------------------------------------------------ passes

    def run_pass(
        self,
        request: PassRequest,
        *,
        cancel: CancelToken | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Iterator[FrameResult]:
        """Draw the request's frames on the actors; yields each FrameResult as it arrives.

        Cancel reaches every actor within one denoising step; frames in flight are
        discarded, as on one device.
        """
        if self._busy:
            raise EngineError("This engine is already running a pass; one runs at a time.")
        self._busy = True
        try:
            yield from self._run(request, cancel or CancelToken(), on_progress or _ignore)
        finally:
            self._busy = False

    def _run(
        self, request: PassRequest, cancel: CancelToken, notify: ProgressCallback
    ) -> Iterator[FrameResult]:
        ray = self._connect()
        actors = self._ensure_actors(notify)
        steps = FAST_STEPS if request.settings.fast else request.settings.steps
        total = steps * len(request.jobs)
        # Batch size 0 ("from free memory") is sized per GPU by each actor; dealt in defaults.
        size = self.runtime.batch_size or DEFAULT_BATCH
        shares = deal_batches(request, size, len(actors))
        notify(ProgressEvent(EventKind.STARTED, done=0, total=total))
        self._tell_if_idle(request, shares, notify)
        self._seq += 1
        seq = self._seq
        streams: dict[Any, _Share] = {}
        for rank, jobs in enumerate(shares):
            if jobs:
                stream = (
                    actors[rank]
                    .draw.options(num_returns="streaming")
                    .remote(seq, replace(request, jobs=jobs))
                )
                streams[stream] = _Share(rank, {j.frame_id for j in jobs})
        steps_done = dict.fromkeys((s.rank for s in streams.values()), 0)
        told_cancel = False
        ended = False
        try:
            while streams:
                if cancel.cancelled and not told_cancel:
                    told_cancel = True
                    for actor in actors:
                        actor.cancel.remote(seq)
                ready, _ = ray.wait(list(streams), num_returns=1, timeout=_POLL)
                for stream in ready:
                    share = streams[stream]
                    try:
                        kind, payload = ray.get(next(stream))
                    except StopIteration:
                        del streams[stream]
                        continue
                    except ray.exceptions.RayActorError as exc:
                        raise self._lost(share, exc) from None
                    except ray.exceptions.RayTaskError as exc:
                        raise self._failed(share, exc) from None
                    if kind == "event":
                        self._forward(share.rank, payload, steps_done, total, notify)
                    elif kind == "result":
                        share.frame_ids.discard(payload.frame_id)
                        done = sum(steps_done.values())
                        notify(
                            ProgressEvent(
                                EventKind.FRAME_DONE,
                                frame_ids=(payload.frame_id,),
                                done=done,
                                total=total,
                            )
                        )
                        yield payload
                    elif kind == "done":
                        self.encode_count += int(payload)
            ended = True
        finally:
            if not ended:
                self._abandon(seq, streams)
        kind = EventKind.CANCELLED if cancel.cancelled else EventKind.FINISHED
        notify(ProgressEvent(kind, done=sum(steps_done.values()), total=total))

    def _forward(
        self,
        rank: int,
        event: ProgressEvent,
        steps_done: dict[int, int],
        total: int,
        notify: ProgressCallback,
    ) -> None:
        """An actor's progress as progress of the whole pass (its own start/end are ours)."""
        if event.kind == EventKind.STEP:
            steps_done[rank] = event.done
            notify(replace(event, done=sum(steps_done.values()), total=total))
        elif event.kind == EventKind.NOTICE:
            notify(replace(event, message=f"{self._describe(rank)}: {event.message}"))

    def _tell_if_idle(
        self, request: PassRequest, shares: list[tuple[Any, ...]], notify: ProgressCallback
    ) -> None:
        busy = sum(1 for s in shares if s)
        if self._told_idle or busy == len(shares) or len(request.jobs) <= busy:
            return
        self._told_idle = True
        notify(
            ProgressEvent(
                EventKind.NOTICE,
                message=(
                    f"{len(request.jobs)} frames at batch size "
                    f"{self.runtime.batch_size or 'auto'} keep {busy} of {len(shares)} "
                    "devices busy; a smaller batch size would use more of them."
                ),
            )
        )

    # ------------------------------------------------------------------ failures

    def _describe(self, rank: int) -> str:
        info = self._infos[rank]
        where = f"{info.device} on node {info.node} ({info.node_id[:8]})"
        return f"Device {rank + 1} of {len(self._infos)}, {where}"

    def _lost(self, share: _Share, exc: BaseException) -> EngineLostError:
        """An actor (or its node) died: stop the others, forget them, say what happened."""
        what = self._describe(share.rank)
        pid = self._infos[share.rank].pid
        reason = str(exc).strip().splitlines()[0].rstrip(".")
        frames = sorted(share.frame_ids)
        self._discard_actors()
        doing = f"while drawing frame(s) {', '.join(frames)}" if frames else "during the pass"
        return EngineLostError(
            f"{what}, process {pid}, stopped {doing}: {reason}. The pass was stopped; the "
            "frames finished before that are kept, and resuming the pass draws the rest."
        )

    def _failed(self, share: _Share, exc: Any) -> EngineError:
        """An actor raised. Its own EngineError keeps the actors; anything else ends them."""
        cause = exc.cause
        where = self._describe(share.rank)
        if isinstance(cause, EngineError):
            return type(cause)(f"{cause} ({where})")
        log.error("%s failed:\n%s", where, exc)
        self._discard_actors()
        return EngineError(f"{where} failed: {type(cause).__name__}: {cause}")

    def _abandon(self, seq: int, streams: dict[Any, _Share]) -> None:
        """Cancel pass ``seq`` on the actors still drawing and wait until they are idle."""
        if not streams or not self._actors:
            return
        ray = self._ray
        for actor in self._actors:
            actor.cancel.remote(seq)
        deadline = time.monotonic() + CANCEL_DRAIN_TIMEOUT
        while streams and time.monotonic() < deadline:
            ready, _ = ray.wait(list(streams), num_returns=1, timeout=_POLL)
            for stream in ready:
                try:
                    ray.get(next(stream))
                except StopIteration:
                    del streams[stream]
                except ray.exceptions.RayError:
                    del streams[stream]
        if streams:
            self._discard_actors()

    # ------------------------------------------------------------------ Ray and the actors

    def _connect(self) -> Any:
        """Ray, started locally or joined to the cluster (once)."""
        if self._ray is not None and self._ray.is_initialized():
            return self._ray
        try:
            import ray
        except ImportError:
            raise EngineError(RAY_MISSING) from None
        self._ray = ray
        if ray.is_initialized():  # this process is already a driver (e.g. a test's cluster)
            return ray
        address = self.devices.cluster
        if address:
            # Ray only uses a token for an explicit address when told to; keep it on.
            os.environ.setdefault("RAY_AUTH_MODE", "token")
            try:
                ray.init(address=address, **_QUIET)
            except ray.exceptions.AuthenticationError as exc:
                text = TOKEN_MISSING if "no authentication token" in str(exc) else TOKEN_REFUSED
                raise EngineError(text.format(address=address)) from None
            except (ConnectionError, TimeoutError) as exc:
                raise EngineError(
                    f"No Ray cluster answers at {address} ({exc}). Start its head with "
                    "`ray start --head` and give the address it prints."
                ) from None
        else:
            # A private instance on loopback: nothing of it is reachable from elsewhere.
            try:
                ray.init(
                    address="local",  # never join another Ray instance found on this machine
                    num_cpus=max(self.devices.count, os.cpu_count() or 1),
                    include_dashboard=False,
                    _node_ip_address="127.0.0.1",
                    **_QUIET,
                )
            except (OSError, RuntimeError) as exc:
                raise EngineError(f"Ray could not start on this machine: {exc}") from None
        self._joined = True
        return ray

    def _ensure_actors(self, notify: ProgressCallback) -> list[Any]:
        if self._actors:
            return self._actors
        ray = self._connect()
        from engine.cluster_actor import DeviceEngine

        gpu = self._use_gpus(ray)
        count = self._actor_count(ray, gpu)
        self._check_nodes(ray, gpu)
        threads = int(os.environ.get("OMP_NUM_THREADS") or 0)
        options = {"num_gpus": 1, "num_cpus": 0} if gpu else {"num_cpus": 1}
        runtime = replace(self.runtime, device="cuda" if gpu else "cpu")
        actors = [
            DeviceEngine.options(**options).remote(self.paths, runtime, threads)
            for _ in range(count)
        ]
        try:
            infos = ray.get([a.ready.remote() for a in actors])
        except ray.exceptions.RayTaskError as exc:
            for actor in actors:
                ray.kill(actor)
            cause = exc.cause
            if isinstance(cause, EngineError):
                raise type(cause)(str(cause)) from None
            raise EngineError(f"A device could not load the models: {cause}") from None
        if len({tuple(sorted(i.fingerprints.items())) for i in infos}) != 1:
            for actor in actors:
                ray.kill(actor)
            raise ModelError(
                "The devices loaded different model files (fingerprints differ); every node "
                "must have the same model files at the same paths."
            )
        self._actors, self._infos = actors, infos
        return actors

    def _use_gpus(self, ray: Any) -> bool:
        gpus = int(ray.cluster_resources().get("GPU", 0))
        if self.runtime.device == "cpu":
            return False
        if gpus == 0 and self.runtime.device == "cuda":
            raise EngineError("CUDA devices were asked for, but Ray sees no GPU.")
        return gpus > 0

    def _actor_count(self, ray: Any, gpu: bool) -> int:
        """Actors to start: the number asked for, or every GPU (every node, on CPU)."""
        resources = ray.cluster_resources()
        if self.devices.count == 0:
            have = int(resources.get("GPU", 0)) if gpu else len(_alive_nodes(ray))
            if have == 0:
                raise EngineError("Every GPU was asked for, but Ray sees no GPU.")
            return have
        count = self.devices.count
        have = int(resources.get("GPU" if gpu else "CPU", 0))
        if count > have:
            where = "in the cluster" if self.devices.cluster else "here"
            unit = "GPU(s)" if gpu else "CPU(s)"
            raise EngineError(f"{count} devices asked for, but Ray sees {have} {unit} {where}.")
        return count

    def _check_nodes(self, ray: Any, gpu: bool) -> None:
        """Every node that may draw has the model files; else say which lacks what."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        from engine.cluster_actor import check_node

        nodes = [n for n in _alive_nodes(ray) if n["Resources"].get("GPU" if gpu else "CPU")]
        checks = [
            check_node.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)
            ).remote(self.paths)
            for n in nodes
        ]
        lacking = [
            f"node {n['NodeManagerAddress']} ({n['NodeID'][:8]}) lacks {', '.join(missing)}"
            for n, missing in zip(nodes, ray.get(checks), strict=True)
            if missing
        ]
        if lacking:
            raise ModelError(
                "; ".join(lacking) + ". Every node needs the model files at the same paths."
            )

    def _discard_actors(self) -> None:
        actors, self._actors, self._infos = self._actors, [], []
        for actor in actors:
            try:
                self._ray.kill(actor)
            except Exception:  # already dead, or Ray has gone: nothing left to stop
                log.debug("actor already gone", exc_info=True)


_QUIET = {"log_to_driver": False, "logging_level": logging.WARNING, "configure_logging": True}


def _alive_nodes(ray: Any) -> list[dict[str, Any]]:
    return [n for n in ray.nodes() if n.get("Alive")]


def _ignore(_event: ProgressEvent) -> None:
    pass

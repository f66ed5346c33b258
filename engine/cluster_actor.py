"""What runs on the Ray nodes: the model-file check and one device's engine (a Ray actor).

Imported only where Ray is installed (``engine.cluster`` checks first). The actor draws
its share of a pass on a thread of its own and streams every progress event and finished
frame back through a Ray streaming generator as it happens; ``cancel`` runs in a
separate concurrency group, so it reaches a running pass between two denoising steps.
"""

from __future__ import annotations

import os
import queue
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import ray

from engine.api import CancelToken, ModelPaths, PassRequest, RuntimeSettings

_END = object()


@dataclass(frozen=True)
class DeviceInfo:
    """What a device's engine reports once its models are loaded."""

    device: str
    node: str  # the node's address, as Ray knows it
    node_id: str
    host: str
    pid: int
    fingerprints: dict[str, str]
    image_embed_dim: int


def missing_model_files(paths: ModelPaths) -> list[str]:
    """The model files of ``paths`` that this machine lacks, as "what: path" lines."""
    wanted = [
        ("base model", paths.base),
        ("image encoder", paths.image_encoder),
        ("IP-Adapter", paths.ip_adapter),
        ("ControlNet", paths.controlnet),
        ("LCM UNet", paths.lcm),
    ]
    return [f"{what} {path}" for what, path in wanted if path is not None and not path.exists()]


class _PassCancel(CancelToken):
    """Cancelled once the driver has cancelled pass ``seq`` (or a later one)."""

    def __init__(self, owner: Any, seq: int) -> None:
        super().__init__()
        self._owner = owner
        self._seq = seq

    @property
    def cancelled(self) -> bool:
        return self._owner.cancelled_seq >= self._seq


@ray.remote(num_cpus=0)
def check_node(paths: ModelPaths) -> list[str]:
    """``missing_model_files`` on the node this task is scheduled on."""
    return missing_model_files(paths)


@ray.remote(concurrency_groups={"control": 1}, max_restarts=0)
class DeviceEngine:
    """One device's ``StoryIterEngine``, loaded once and kept for every pass."""

    def __init__(self, paths: ModelPaths, runtime: RuntimeSettings, threads: int) -> None:
        if threads > 0:
            import torch

            torch.set_num_threads(threads)
        from engine.story_iter import StoryIterEngine

        # Ray gives a GPU actor its GPU as the only visible one: cuda:0 is that GPU.
        device = "cpu" if runtime.device == "cpu" else "cuda"
        self._engine = StoryIterEngine(paths, replace(runtime, device=device))
        self.cancelled_seq = -1

    def ready(self) -> DeviceInfo:
        """Load the models; say where they run."""
        models = self._engine.models
        return DeviceInfo(
            device=str(models.device),
            node=ray.util.get_node_ip_address(),
            node_id=ray.get_runtime_context().get_node_id(),
            host=socket.gethostname(),
            pid=os.getpid(),
            fingerprints=dict(models.fingerprints),
            image_embed_dim=models.image_embed_dim,
        )

    def draw(self, seq: int, request: PassRequest) -> Iterator[tuple[str, Any]]:
        """Draw a share of pass ``seq``: yields ("event", ProgressEvent), ("result",
        FrameResult) as they happen, then ("done", images encoded)."""
        out: queue.Queue[Any] = queue.Queue()
        before = self._engine.encode_count

        def run() -> None:
            try:
                token = _PassCancel(self, seq)
                for result in self._engine.run_pass(
                    request, cancel=token, on_progress=lambda e: out.put(("event", e))
                ):
                    out.put(("result", result))
                out.put(("done", self._engine.encode_count - before))
            except BaseException as exc:  # raised again below, in the generator Ray reads
                out.put(("error", exc))
            finally:
                out.put(_END)

        threading.Thread(target=run, name=f"pass-{seq}", daemon=True).start()
        while (item := out.get()) is not _END:
            if item[0] == "error":
                raise item[1]
            yield item

    @ray.method(concurrency_group="control")
    def cancel(self, seq: int) -> None:
        """Stop pass ``seq`` (and any earlier one) at its next denoising step."""
        self.cancelled_seq = max(self.cancelled_seq, seq)

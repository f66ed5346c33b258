"""The method, exactly: the batched engine against a literal per-frame reference loop."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from engine.api import (
    CancelToken,
    EventKind,
    FrameJob,
    GenerationSettings,
    PassRequest,
    ReferenceSet,
    RuntimeSettings,
    ip_scale_schedule,
    scale_for_round,
)
from engine.errors import OutOfMemoryError, RequestError
from engine.pose import parse_openpose, render_control_image
from engine.prompts import apply_style, get_style
from engine.story_iter import StoryFrame, StoryIterEngine, run_story

PROMPTS = [
    "a fox in a red scarf, reading a letter, in a snowy forest",
    "a fox in a red scarf, running, across a frozen lake",
    "a fox in a red scarf, sleeping, by a campfire",
]
# Guidance is left at its default: the parity case pins it to the reference's effective 5.0.
# Frames are not square, so the 256² resize of references matters (CLIP crops otherwise).
SETTINGS = GenerationSettings(steps=3, width=96, height=64, style="comic")
SEED = 1234
ROUNDS = 2

# The reference implementation's values, written out here and nowhere taken from the engine.
REFERENCE_GUIDANCE = 5.0
COMIC_PREFIX = "best quality, high quality, comic "
COMIC_SUFFIX = " . graphic illustration, comic art, graphic novel art, vibrant, highly detailed"
NEGATIVE = "monochrome, lowres, bad anatomy, worst quality, low quality"


def _pose() -> object:
    keypoints = []
    for j in range(18):
        keypoints += [0.3 + 0.02 * j, 0.2 + 0.035 * j, 1.0]
    return parse_openpose({"people": [{"pose_keypoints_2d": keypoints}]})


@pytest.fixture(scope="module")
def engine(preview_models) -> StoryIterEngine:
    return StoryIterEngine(preview_models, RuntimeSettings(device="cpu", batch_size=4))


class ReferencePipelines:
    """The reference code's set-up, from the files on disk with diffusers alone: its own
    pipelines, adapter, image encoder and image processor — nothing of the engine's."""

    def __init__(self, paths) -> None:
        from diffusers import (
            ControlNetModel,
            DDIMScheduler,
            LCMScheduler,
            StableDiffusionXLControlNetPipeline,
            StableDiffusionXLPipeline,
            UNet2DConditionModel,
        )
        from transformers import CLIPImageProcessor, CLIPVisionModelWithProjection

        ddim = DDIMScheduler(
            num_train_timesteps=1000,
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="scaled_linear",
            clip_sample=False,
            set_alpha_to_one=False,
            steps_offset=1,
        )
        base = StableDiffusionXLPipeline.from_pretrained(paths.base, scheduler=ddim)
        lcm_unet = UNet2DConditionModel.from_pretrained(paths.lcm)
        fast = StableDiffusionXLPipeline(
            **{
                **base.components,
                "unet": lcm_unet,
                "scheduler": LCMScheduler.from_config(ddim.config),
            }
        )
        for pipe in (base, fast):
            pipe.load_ip_adapter(
                str(paths.ip_adapter.parent.parent),
                subfolder=paths.ip_adapter.parent.name,
                weight_name=paths.ip_adapter.name,
                image_encoder_folder=None,
            )
        controlnet = ControlNetModel.from_pretrained(paths.controlnet)
        self.pipes = {
            (False, False): base,
            (True, False): fast,
            (False, True): StableDiffusionXLControlNetPipeline(
                **{**base.components, "controlnet": controlnet}
            ),
            (True, True): StableDiffusionXLControlNetPipeline(
                **{**fast.components, "controlnet": controlnet}
            ),
        }
        for pipe in self.pipes.values():
            pipe.set_progress_bar_config(disable=True)
        self.encoder = CLIPVisionModelWithProjection.from_pretrained(paths.image_encoder).eval()
        self.processor = CLIPImageProcessor()


@pytest.fixture(scope="module")
def reference(preview_models) -> ReferencePipelines:
    return ReferencePipelines(preview_models)


def reference_loop(ref: ReferencePipelines, frames, settings, rounds: int, seeds):
    """The method as the paper's code runs it: one frame per call, every reference image
    resized to 256² and re-encoded for every frame, the pipeline's own prompt encoding and
    decoding, guidance 5.0, scale linspace(0.3, 0.5, L). Returns the images of every round
    and the reference embeddings rounds 1..L attended to."""
    history = []
    encoded = []
    previous = None
    for r in range(rounds + 1):
        scale = float(np.linspace(0.3, 0.5, rounds)[r - 1]) if r else 0.0
        images = []
        for frame, seed in zip(frames, seeds, strict=True):
            posed = settings.controlnet and frame.pose is not None
            pipe = ref.pipes[(settings.fast, posed)]
            cfg = REFERENCE_GUIDANCE > 1 and pipe.unet.config.time_cond_proj_dim is None
            if previous is None:
                refs = torch.zeros(1, 1, ref.encoder.config.projection_dim)
            else:  # N encodes for this one frame
                small = [im.resize((256, 256)) for im in previous]
                pixels = ref.processor(images=small, return_tensors="pt").pixel_values
                with torch.no_grad():
                    refs = ref.encoder(pixels).image_embeds[None]
                if frame is frames[0]:
                    encoded.append(refs[0].numpy())
            embeds = torch.cat([torch.zeros_like(refs), refs]) if cfg else refs
            pipe.set_ip_adapter_scale(scale)
            extra = {}
            if posed:
                extra["image"] = render_control_image(frame.pose, settings.width, settings.height)
            out = pipe(
                prompt=COMIC_PREFIX + frame.prompt + COMIC_SUFFIX,
                negative_prompt=NEGATIVE if cfg else None,
                ip_adapter_image_embeds=[embeds],
                num_inference_steps=4 if settings.fast else settings.steps,
                guidance_scale=REFERENCE_GUIDANCE,
                width=settings.width,
                height=settings.height,
                generator=torch.Generator("cpu").manual_seed(seed),
                **extra,
            )
            images.append(out.images[0])
        history.append(images)
        previous = images
    return history, encoded


def engine_story(engine: StoryIterEngine, frames, settings, rounds: int, seeds):
    """Rounds 0..L through the engine's passes: each round attends to the last round's
    embeddings, as run_story does, with a seed per frame (so the references differ). Returns
    the images of every round and the reference embeddings rounds 1..L attended to."""
    history = []
    encoded = []
    refs = None
    for r in range(rounds + 1):
        jobs = tuple(
            FrameJob(f.frame_id, f.prompt, seed, r, scale_for_round(r, rounds), f.pose)
            for f, seed in zip(frames, seeds, strict=True)
        )
        results = {res.frame_id: res for res in engine.run_pass(PassRequest(jobs, settings, refs))}
        ordered = [results[f.frame_id] for f in frames]
        history.append([res.image for res in ordered])
        refs = ReferenceSet(
            tuple(f"{f.frame_id}:{r}" for f in frames), np.stack([res.embedding for res in ordered])
        )
        encoded.append(refs.embeddings)
    return history, encoded[:-1]


class ReferenceTokensSeen:
    """What the UNets' IP-Adapter projection hands to cross-attention on every call: the
    reference tokens the frames actually attend to, whatever built them. A batch of frames
    repeats its rows (unconditional, conditional) per frame, and consecutive calls that see
    the same tokens (one round's frames and steps) are kept once."""

    def __init__(self, unets) -> None:
        self.rounds: list[torch.Tensor] = []
        self._hooks = []
        for unet in {id(u): u for u in unets}.values():
            self._hooks.append(unet.encoder_hid_proj.register_forward_hook(self._seen))

    def _seen(self, _module, _inputs, output) -> None:
        (batch,) = output  # one adapter: (frames × guidance halves, N, tokens, width)
        rows = [batch[0]]
        for row in batch[1:]:
            if not torch.allclose(row, rows[-1], rtol=1e-4, atol=1e-5):  # batched math
                rows.append(row)
        tokens = torch.stack(rows).detach().float().clone()
        last = self.rounds[-1] if self.rounds else None
        if (
            last is None
            or last.shape != tokens.shape
            or not torch.allclose(last, tokens, 1e-4, 1e-5)
        ):
            self.rounds.append(tokens)

    def __enter__(self) -> ReferenceTokensSeen:
        return self

    def __exit__(self, *_exc) -> None:
        for hook in self._hooks:
            hook.remove()


def _max_diff(a, b) -> int:
    return int(np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).max())


@pytest.mark.parametrize(
    "mode", ["standard", "controlnet", "fast", "fast+controlnet"], ids=lambda m: m
)
def test_batched_engine_equals_reference_loop(engine, reference, mode):
    assert SETTINGS.guidance == REFERENCE_GUIDANCE  # the default is the reference's value
    settings = SETTINGS
    frames = [StoryFrame(f"f{i}", p) for i, p in enumerate(PROMPTS)]
    if "controlnet" in mode:
        settings = replace(settings, controlnet=True)
        frames[0] = replace(frames[0], pose=_pose())
        frames[2] = replace(frames[2], pose=_pose())
    if "fast" in mode:
        settings = replace(settings, fast=True)
    seeds = [SEED + 7 * i for i in range(len(frames))]
    fast = settings.fast
    our_unets = [engine.models.pipeline(fast=fast, controlnet=c).unet for c in (False, True)]
    with ReferenceTokensSeen(our_unets) as our_tokens:
        ours, our_refs = engine_story(engine, frames, settings, ROUNDS, seeds)
    with ReferenceTokensSeen(reference.pipes[(fast, c)].unet for c in (False, True)) as tokens:
        theirs, their_refs = reference_loop(reference, frames, settings, ROUNDS, seeds)
    assert len(ours) == ROUNDS + 1
    # every frame of round r attends to the tokens of all N frames of round r - 1, as in the
    # reference (round 0: the zero embedding), whatever the pictures' sensitivity to them
    assert [t.shape for t in our_tokens.rounds] == [t.shape for t in tokens.rounds]
    assert len(tokens.rounds) == ROUNDS + 1
    for mine, reference_tokens in zip(our_tokens.rounds, tokens.rounds, strict=True):
        assert torch.allclose(mine, reference_tokens, atol=2e-2), (mode, mine.shape)
    # the references are the same embeddings (the 256² resize, the processor, the encoder)
    for mine, reference_refs in zip(our_refs, their_refs, strict=True):
        assert np.abs(mine - reference_refs).max() < 5e-3  # images may differ by 1 level
    for r in range(ROUNDS + 1):
        for i in range(len(frames)):
            assert _max_diff(ours[r][i], theirs[r][i]) <= 1, (mode, r, i)
    # the references are distinct pictures, and they change what is drawn
    assert min(_max_diff(ours[0][0], ours[0][i]) for i in (1, 2)) > 32
    assert _max_diff(ours[0][0], ours[ROUNDS][0]) > 1


def test_run_story_chains_rounds_with_one_seed(engine):
    frames = [StoryFrame(f"f{i}", p) for i, p in enumerate(PROMPTS)]
    story = run_story(engine, frames, SETTINGS, rounds=ROUNDS, seed=SEED)
    passes, _refs = engine_story(engine, frames, SETTINGS, ROUNDS, [SEED] * len(frames))
    for r in range(ROUNDS + 1):
        for i in range(len(frames)):
            assert _max_diff(story[r][i].image, passes[r][i]) == 0
            assert story[r][i].record.ip_scale == pytest.approx(scale_for_round(r, ROUNDS))


def test_controlnet_pose_changes_the_image(engine):
    frames = [StoryFrame("a", PROMPTS[0], _pose())]
    with_pose = run_story(engine, frames, replace(SETTINGS, controlnet=True), rounds=0, seed=SEED)
    without = run_story(engine, frames, SETTINGS, rounds=0, seed=SEED)
    assert _max_diff(with_pose[0][0].image, without[0][0].image) > 1


def test_encodes_per_round_equal_frame_count(engine):
    frames = [StoryFrame(f"f{i}", PROMPTS[i % 3]) for i in range(5)]
    before = engine.encode_count
    history = run_story(engine, frames, SETTINGS, rounds=2, seed=SEED)
    assert len(history) == 3
    assert engine.encode_count - before == 5 * 3  # N per round, rounds 0..2


def test_subset_pass_equals_same_frames_of_full_pass(engine):
    prompts = [f"{PROMPTS[i % 3]}, panel {i}" for i in range(5)]
    round0 = list(
        engine.run_pass(
            PassRequest(tuple(FrameJob(f"f{i}", p, SEED) for i, p in enumerate(prompts)), SETTINGS)
        )
    )
    refs = ReferenceSet(tuple(r.frame_id for r in round0), np.stack([r.embedding for r in round0]))
    scale = scale_for_round(1, 10)
    jobs = tuple(FrameJob(f"f{i}", p, SEED, 1, scale) for i, p in enumerate(prompts))
    full = {r.frame_id: r for r in engine.run_pass(PassRequest(jobs, SETTINGS, refs))}
    subset = list(engine.run_pass(PassRequest((jobs[1], jobs[3]), SETTINGS, refs)))
    assert [r.frame_id for r in subset] == ["f1", "f3"]
    for r in subset:
        assert _max_diff(r.image, full[r.frame_id].image) <= 1
        assert r.record.reference_ids == refs.ids
        assert r.record.ip_scale == pytest.approx(scale)


def test_cancel_returns_only_complete_frames(preview_models):
    engine = StoryIterEngine(preview_models, RuntimeSettings(device="cpu", batch_size=2))
    cancel = CancelToken()
    events = []

    def on_progress(event):
        events.append(event)
        # cancel during the second batch's first step
        if event.kind == EventKind.STEP and event.frame_ids == ("c", "d") and event.step == 1:
            cancel.cancel()

    jobs = tuple(FrameJob(k, PROMPTS[0], SEED) for k in "abcdef")
    results = list(
        engine.run_pass(PassRequest(jobs, SETTINGS), cancel=cancel, on_progress=on_progress)
    )
    assert [r.frame_id for r in results] == ["a", "b"]
    steps_after_cancel = [
        e for e in events if e.kind == EventKind.STEP and e.frame_ids == ("c", "d")
    ]
    assert len(steps_after_cancel) <= SETTINGS.steps  # interrupted steps do no work
    assert events[-1].kind == EventKind.CANCELLED


def test_progress_events_count_every_step(engine):
    events = []
    jobs = tuple(FrameJob(k, PROMPTS[1], SEED) for k in "ab")
    list(engine.run_pass(PassRequest(jobs, SETTINGS), on_progress=events.append))
    steps = [e for e in events if e.kind == EventKind.STEP]
    assert len(steps) == SETTINGS.steps
    assert steps[-1].done == steps[-1].total == 2 * SETTINGS.steps
    assert steps[0].preview.shape == (2, 8, 12, 3) and steps[0].preview.dtype == np.uint8
    assert events[-1].kind == EventKind.FINISHED


def test_out_of_memory_halves_the_batch_and_keeps_results(preview_models, monkeypatch):
    engine = StoryIterEngine(preview_models, RuntimeSettings(device="cpu", batch_size=4))
    calls = []
    original = StoryIterEngine._call_pipeline

    def flaky(self, pipe, **kwargs):
        calls.append(len(kwargs["generator"]))
        if len(kwargs["generator"]) > 1:
            raise torch.OutOfMemoryError("CUDA out of memory (injected)")
        return original(self, pipe, **kwargs)

    monkeypatch.setattr(StoryIterEngine, "_call_pipeline", flaky)
    events = []
    jobs = tuple(FrameJob(k, PROMPTS[2], SEED) for k in "abcd")
    results = list(engine.run_pass(PassRequest(jobs, SETTINGS), on_progress=events.append))
    assert [r.frame_id for r in results] == list("abcd")
    assert calls[:3] == [4, 2, 1]
    assert any(e.kind == EventKind.NOTICE and "retrying at 2" in e.message for e in events)
    assert events[-1].done == events[-1].total

    monkeypatch.setattr(
        StoryIterEngine,
        "_call_pipeline",
        lambda self, pipe, **kw: (_ for _ in ()).throw(torch.OutOfMemoryError("oom")),
    )
    with pytest.raises(OutOfMemoryError, match="single frame"):
        list(engine.run_pass(PassRequest(jobs[:1], SETTINGS)))


def test_records_carry_everything_needed_to_reproduce(engine):
    result = next(engine.run_pass(PassRequest((FrameJob("x", PROMPTS[0], 77),), SETTINGS)))
    rec = result.record
    assert rec.prompt == PROMPTS[0]
    assert rec.prompt_sent == apply_style(PROMPTS[0], get_style("comic"))
    assert rec.negative_prompt == get_style("comic").negative_prompt
    assert (rec.seed, rec.round, rec.ip_scale, rec.steps, rec.guidance) == (77, 0, 0.0, 3, 5.0)
    assert set(rec.model_fingerprints) >= {"base", "image_encoder", "ip_adapter"}
    assert rec.scheduler == "DDIMScheduler"
    again = next(engine.run_pass(PassRequest((FrameJob("x", PROMPTS[0], 77),), SETTINGS)))
    assert _max_diff(result.image, again.image) == 0
    assert result.embedding.shape == (engine.models.image_embed_dim,)


def test_bad_requests_are_refused(engine):
    with pytest.raises(RequestError, match="need a reference set"):
        PassRequest((FrameJob("a", "x", 1, 1, 0.3),), SETTINGS)
    with pytest.raises(RequestError, match="same frame twice"):
        PassRequest((FrameJob("a", "x", 1), FrameJob("a", "y", 1)), SETTINGS)
    wrong = ReferenceSet(("r",), np.zeros((1, 7), np.float32))
    with pytest.raises(RequestError, match="7 wide"):
        list(engine.run_pass(PassRequest((FrameJob("a", "x", 1, 1, 0.3),), SETTINGS, wrong)))
    with pytest.raises(RequestError, match="NaN"):
        ReferenceSet(("r",), np.full((1, 4), np.nan, np.float32))
    with pytest.raises(RequestError, match="multiples of 8"):
        list(engine.run_pass(PassRequest((FrameJob("a", "x", 1),), replace(SETTINGS, width=70))))


def test_scale_schedule_is_linspace():
    assert ip_scale_schedule(10) == pytest.approx(tuple(np.linspace(0.3, 0.5, 10)))
    assert scale_for_round(0, 10) == 0.0
    assert scale_for_round(1, 10) == pytest.approx(0.3)
    assert scale_for_round(10, 10) == pytest.approx(0.5)
    assert scale_for_round(14, 10) == pytest.approx(0.5)

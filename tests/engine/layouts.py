"""Stand-ins for the model files users really have, made from the preview models.

Each writes the preview weights in one real layout: a single-file checkpoint with the original
(LDM) key names, an fp16-variant folder, a Hugging Face hub cache tree, ComfyUI and A1111
``models/`` trees, and LCM-LoRA files with kohya or diffusers key names.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from engine.api import ModelPaths

# ----------------------------------------------------------------- single-file checkpoint


def _unet_to_ldm(sd: dict[str, torch.Tensor], config: dict) -> dict[str, torch.Tensor]:
    levels = len(config["block_out_channels"])
    per = config["layers_per_block"]
    out: dict[str, torch.Tensor] = {}

    def resnet(src: str, dst: str) -> None:
        names = {
            "norm1": "in_layers.0",
            "conv1": "in_layers.2",
            "time_emb_proj": "emb_layers.1",
            "norm2": "out_layers.0",
            "conv2": "out_layers.3",
            "conv_shortcut": "skip_connection",
        }
        for key in [k for k in sd if k.startswith(src + ".")]:
            rest = key[len(src) + 1 :]
            head, _, tail = rest.partition(".")
            out[f"{dst}.{names[head]}.{tail}"] = sd[key]

    def same(src: str, dst: str) -> None:
        for key in [k for k in sd if k.startswith(src + ".")]:
            out[dst + key[len(src) :]] = sd[key]

    simple = {
        "time_embedding.linear_1": "time_embed.0",
        "time_embedding.linear_2": "time_embed.2",
        "add_embedding.linear_1": "label_emb.0.0",
        "add_embedding.linear_2": "label_emb.0.2",
        "conv_in": "input_blocks.0.0",
        "conv_norm_out": "out.0",
        "conv_out": "out.2",
    }
    for src, dst in simple.items():
        same(src, dst)
    idx = 1
    for i in range(levels):
        for j in range(per):
            resnet(f"down_blocks.{i}.resnets.{j}", f"input_blocks.{idx}.0")
            same(f"down_blocks.{i}.attentions.{j}", f"input_blocks.{idx}.1")
            idx += 1
        if i < levels - 1:
            same(f"down_blocks.{i}.downsamplers.0.conv", f"input_blocks.{idx}.0.op")
            idx += 1
    resnet("mid_block.resnets.0", "middle_block.0")
    same("mid_block.attentions.0", "middle_block.1")
    resnet("mid_block.resnets.1", "middle_block.2")
    idx = 0
    for i in range(levels):
        for j in range(per + 1):
            resnet(f"up_blocks.{i}.resnets.{j}", f"output_blocks.{idx}.0")
            has_attn = any(k.startswith(f"up_blocks.{i}.attentions.{j}.") for k in sd)
            same(f"up_blocks.{i}.attentions.{j}", f"output_blocks.{idx}.1")
            if j == per and i < levels - 1:
                slot = 2 if has_attn else 1
                same(f"up_blocks.{i}.upsamplers.0.conv", f"output_blocks.{idx}.{slot}.conv")
            idx += 1
    assert len(out) == len(sd), "some UNet weights have no original-layout name"
    return {f"model.diffusion_model.{k}": v for k, v in out.items()}


def _vae_to_ldm(sd: dict[str, torch.Tensor], config: dict) -> dict[str, torch.Tensor]:
    levels = len(config["block_out_channels"])
    out: dict[str, torch.Tensor] = {}
    attn_names = {
        "group_norm": "norm",
        "to_q": "q",
        "to_k": "k",
        "to_v": "v",
        "to_out.0": "proj_out",
    }
    for key, value in sd.items():
        new = key.replace("conv_norm_out", "norm_out").replace("conv_shortcut", "nin_shortcut")
        for part in ("encoder", "decoder"):
            new = new.replace(f"{part}.mid_block.resnets.0", f"{part}.mid.block_1")
            new = new.replace(f"{part}.mid_block.resnets.1", f"{part}.mid.block_2")
            if f"{part}.mid_block.attentions.0." in new:
                rest = new.split(f"{part}.mid_block.attentions.0.")[1]
                for src, dst in attn_names.items():
                    if rest.startswith(src + "."):
                        rest = dst + rest[len(src) :]
                new = f"{part}.mid.attn_1.{rest}"
                if value.ndim == 2:
                    value = value[:, :, None, None]
        for i in range(levels):
            new = new.replace(f"encoder.down_blocks.{i}.resnets.", f"encoder.down.{i}.block.")
            new = new.replace(
                f"encoder.down_blocks.{i}.downsamplers.0.", f"encoder.down.{i}.downsample."
            )
            up = levels - 1 - i
            new = new.replace(f"decoder.up_blocks.{i}.resnets.", f"decoder.up.{up}.block.")
            new = new.replace(f"decoder.up_blocks.{i}.upsamplers.0.", f"decoder.up.{up}.upsample.")
        out[f"first_stage_model.{new}"] = value
    return out


def _openclip_to_ldm(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    prefix = "conditioner.embedders.1.model."
    sd = {k.removeprefix("text_model."): v for k, v in sd.items()}
    out = {
        prefix + "token_embedding.weight": sd.pop("embeddings.token_embedding.weight"),
        prefix + "positional_embedding": sd.pop("embeddings.position_embedding.weight"),
        prefix + "ln_final.weight": sd.pop("final_layer_norm.weight"),
        prefix + "ln_final.bias": sd.pop("final_layer_norm.bias"),
        prefix + "text_projection": sd.pop("text_projection.weight").T.contiguous(),
    }
    layers = sorted({int(k.split(".")[2]) for k in sd if k.startswith("encoder.layers.")})
    for n in layers:
        src, dst = f"encoder.layers.{n}.", f"{prefix}transformer.resblocks.{n}."
        for kind in ("weight", "bias"):
            out[f"{dst}attn.in_proj_{kind}"] = torch.cat(
                [sd.pop(f"{src}self_attn.{p}_proj.{kind}") for p in "qkv"]
            )
            out[f"{dst}attn.out_proj.{kind}"] = sd.pop(f"{src}self_attn.out_proj.{kind}")
            out[f"{dst}ln_1.{kind}"] = sd.pop(f"{src}layer_norm1.{kind}")
            out[f"{dst}ln_2.{kind}"] = sd.pop(f"{src}layer_norm2.{kind}")
            out[f"{dst}mlp.c_fc.{kind}"] = sd.pop(f"{src}mlp.fc1.{kind}")
            out[f"{dst}mlp.c_proj.{kind}"] = sd.pop(f"{src}mlp.fc2.{kind}")
    sd.pop("embeddings.position_ids", None)
    assert not sd, sorted(sd)[:5]
    return out


def single_file_checkpoint(preview: ModelPaths, dest: Path) -> Path:
    """The preview SDXL pipeline as one file with the original checkpoint's key names."""
    base = preview.base

    def weights(part: str, name: str = "diffusion_pytorch_model.safetensors") -> dict:
        return load_file(base / part / name)

    def config(part: str) -> dict:
        return json.loads((base / part / "config.json").read_text())

    tensors = _unet_to_ldm(weights("unet"), config("unet"))
    tensors |= _vae_to_ldm(weights("vae"), config("vae"))
    text = {
        k if k.startswith("text_model.") else f"text_model.{k}": v
        for k, v in weights("text_encoder", "model.safetensors").items()
    }
    tensors |= {f"conditioner.embedders.0.transformer.{k}": v for k, v in text.items()}
    tensors |= _openclip_to_ldm(weights("text_encoder_2", "model.safetensors"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, dest)
    return dest


# ----------------------------------------------------------------- folders


def fp16_variant_folder(source: Path, dest: Path) -> Path:
    """A copy of a diffusers folder holding only ``*.fp16.safetensors`` weight files."""
    shutil.copytree(source, dest)
    for path in list(dest.rglob("*.safetensors")):
        tensors = {k: v.half() for k, v in load_file(path).items()}
        save_file(tensors, path.with_name(f"{path.stem}.fp16.safetensors"))
        path.unlink()
    return dest


def hub_cache_repo(cache: Path, repo_id: str, files: dict[str, Path]) -> Path:
    """A repo in the Hugging Face cache layout: refs/main, snapshots/<sha>/ links, blobs/."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    sha = hashlib.sha1(repo_id.encode()).hexdigest()
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(sha)
    snapshot = repo / "snapshots" / sha
    for rel, source in files.items():
        data = source.read_bytes()
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = snapshot / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(Path("../" * (len(Path(rel).parts) + 1), "blobs", blob.name))
    return snapshot


def folder_files(folder: Path, under: str = "") -> dict[str, Path]:
    return {
        str(Path(under, p.relative_to(folder))): p for p in sorted(folder.rglob("*")) if p.is_file()
    }


# ----------------------------------------------------------------- LoRA


def lcm_lora(preview: ModelPaths, dest: Path, keys: str, rank: int = 2) -> Path:
    """An LCM-LoRA for the preview UNet (attention projections), kohya or diffusers keys."""
    generator = torch.Generator().manual_seed(11)
    weights = load_file(preview.base / "unet" / "diffusion_pytorch_model.safetensors")
    tensors: dict[str, torch.Tensor] = {}
    for name, weight in weights.items():
        if not name.endswith(("attn1.to_q.weight", "attn2.to_v.weight", "attn1.to_out.0.weight")):
            continue
        module = name.removesuffix(".weight")
        down = torch.randn(rank, weight.shape[1], generator=generator) * 0.3
        up = torch.randn(weight.shape[0], rank, generator=generator) * 0.3
        if keys == "kohya":
            key = "lora_unet_" + module.replace(".", "_")
            tensors[f"{key}.lora_down.weight"] = down
            tensors[f"{key}.lora_up.weight"] = up
            tensors[f"{key}.alpha"] = torch.tensor(float(rank) / 2)
        else:
            tensors[f"unet.{module}.lora_A.weight"] = down
            tensors[f"unet.{module}.lora_B.weight"] = up
    dest.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, dest)
    return dest


# ----------------------------------------------------------------- every layout at once

COMFY_ENCODER = "CLIP-ViT-bigG-14-laion2B-39B-b160k.safetensors"


def build_model_trees(preview: ModelPaths, root: Path) -> Path:
    """Every layout under ``root``; see the ``model_trees`` fixture."""
    single = single_file_checkpoint(
        preview, root / "single" / "My Models" / "RealVisXL_V4.0.safetensors"
    )
    fp16_variant_folder(preview.base, root / "fp16" / "RealVisXL_V4.0")
    fp16_variant_folder(preview.image_encoder, root / "fp16" / "image_encoder")
    lora_kohya = lcm_lora(
        preview, root / "loras" / "kohya" / "pytorch_lora_weights.safetensors", "kohya"
    )
    lcm_lora(
        preview, root / "loras" / "diffusers" / "pytorch_lora_weights.safetensors", "diffusers"
    )

    hub = root / "hub"
    hub_cache_repo(hub, "SG161222/RealVisXL_V4.0", folder_files(preview.base))
    adapter_files = folder_files(preview.image_encoder, "sdxl_models/image_encoder")
    adapter_files["sdxl_models/ip-adapter_sdxl.safetensors"] = preview.ip_adapter
    hub_cache_repo(hub, "h94/IP-Adapter", adapter_files)
    hub_cache_repo(hub, "thibaud/controlnet-openpose-sdxl-1.0", folder_files(preview.controlnet))
    hub_cache_repo(
        hub, "latent-consistency/lcm-lora-sdxl", {"pytorch_lora_weights.safetensors": lora_kohya}
    )

    controlnet_file = preview.controlnet / "diffusion_pytorch_model.safetensors"
    comfy = root / "ComfyUI" / "models"
    copies = {
        comfy / "checkpoints" / "RealVisXL_V4.0.safetensors": single,
        comfy / "ipadapter" / "ip-adapter_sdxl.safetensors": preview.ip_adapter,
        comfy / "clip_vision" / COMFY_ENCODER: preview.image_encoder / "model.safetensors",
        comfy / "controlnet" / "OpenPoseXL2.safetensors": controlnet_file,
        comfy / "loras" / "lcm-lora-sdxl.safetensors": lora_kohya,
    }
    a1111 = root / "A1111" / "models"
    copies |= {
        a1111 / "Stable-diffusion" / "RealVisXL_V4.0.safetensors": single,
        a1111 / "Lora" / "lcm-lora-sdxl.safetensors": lora_kohya,
        a1111 / "ControlNet" / "ip-adapter_sdxl.safetensors": preview.ip_adapter,
        a1111 / "ControlNet" / "OpenPoseXL2.safetensors": controlnet_file,
    }
    for dest, source in copies.items():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
    (comfy / "vae").mkdir()  # folders a real tree has, holding nothing the method uses
    (a1111 / "VAE").mkdir()
    return root

"""CLIP's real byte-pair tokenizer, built offline from the vocabulary shipped in resources/.

Preview models use it so that prompts split into exactly the tokens SDXL's text encoders see,
which keeps the 77-token budget warning honest without downloading anything.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path

from transformers import CLIPTokenizer

BPE_FILE = (
    Path(__file__).resolve().parent.parent / "resources" / "clip" / "bpe_simple_vocab_16e6.txt.gz"
)
CLIP_VOCAB_SIZE = 49408
BOS_TOKEN = "<|startoftext|>"
EOS_TOKEN = "<|endoftext|>"
CLIP_TOKEN_BUDGET = 77  # including the start and end tokens


def _bytes_to_unicode() -> dict[int, str]:
    """CLIP's reversible byte -> printable-character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    bs += list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs), strict=True))


def write_tokenizer_files(folder: Path, pad_token: str = EOS_TOKEN) -> None:
    """Write vocab.json, merges.txt and the configs of CLIP's tokenizer into ``folder``.

    SDXL's first tokenizer pads with the end-of-text token, its second with ``!``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(BPE_FILE, "rt", encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    merges = [tuple(m.split()) for m in lines[1 : 49152 - 256 - 2 + 1]]
    vocab = list(_bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab.extend("".join(m) for m in merges)
    vocab.extend([BOS_TOKEN, EOS_TOKEN])
    encoder = {tok: i for i, tok in enumerate(vocab)}
    (folder / "vocab.json").write_text(json.dumps(encoder, ensure_ascii=False), encoding="utf-8")
    with open(folder / "merges.txt", "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        f.writelines(f"{a} {b}\n" for a, b in merges)
    config = {
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": CLIP_TOKEN_BUDGET,
        "bos_token": BOS_TOKEN,
        "eos_token": EOS_TOKEN,
        "unk_token": EOS_TOKEN,
        "pad_token": pad_token,
        "do_lower_case": True,
        "clean_up_tokenization_spaces": False,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    special = {
        "bos_token": BOS_TOKEN,
        "eos_token": EOS_TOKEN,
        "unk_token": EOS_TOKEN,
        "pad_token": pad_token,
    }
    (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2), encoding="utf-8")


@cache
def clip_tokenizer() -> CLIPTokenizer:
    """The shipped CLIP tokenizer (identical splits to SDXL's), for token counting."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        write_tokenizer_files(Path(tmp))
        return CLIPTokenizer.from_pretrained(tmp, local_files_only=True)


def count_tokens(text: str, tokenizer: CLIPTokenizer | None = None) -> int:
    """Tokens ``text`` occupies in a CLIP text encoder, start and end tokens included."""
    tok = tokenizer or clip_tokenizer()
    return len(tok(text, truncation=False, add_special_tokens=True)["input_ids"])

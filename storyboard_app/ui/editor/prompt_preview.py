"""The live prompt preview: exactly what the text encoders will see, and what they will not.

The style's wrapper is shown muted around the card's prompt, the part past CLIP's 77-token
budget is struck through in red, and mentions of people not in the cast are named. The CLIP
tokenizer loads in a background thread at start-up so typing never waits for it.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Mapping

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from engine.errors import EngineError
from engine.prompts import (
    PromptPreview,
    apply_style,
    compile_card,
    get_style,
    preview_prompt,
    unknown_mentions,
)

_ready = threading.Event()
_started = threading.Lock()
_warming = False


def warm_up_tokenizer() -> None:
    """Load the CLIP tokenizer in a background thread (once)."""
    global _warming
    with _started:
        if _warming:
            return
        _warming = True

    def load() -> None:
        from engine.tokenizer import clip_tokenizer

        try:
            clip_tokenizer()
        finally:
            _ready.set()

    threading.Thread(target=load, name="tokenizer warm-up", daemon=True).start()


def tokenizer_ready() -> bool:
    return _ready.is_set()


def preview_html(preview: PromptPreview, prefix: str, suffix: str) -> str:
    """The sent prompt as HTML: wrapper muted, the cut-off tail struck through in red."""
    sent = preview.prompt_sent
    tail = preview.truncated_tail
    kept = sent[: len(sent) - len(tail)] if tail and sent.endswith(tail) else sent
    cut = sent[len(kept) :]
    pieces: list[str] = []
    pos = 0
    for part, muted in ((prefix, True), (preview.prompt, False), (suffix, True)):
        start, end = pos, pos + len(part)
        pos = end
        visible = kept[start:end] if start < len(kept) else ""
        if visible:
            text = html.escape(visible)
            pieces.append(f'<span style="color:#8b919a">{text}</span>' if muted else text)
    if cut:
        pieces.append(
            f'<span style="color:#b42318;text-decoration:line-through">{html.escape(cut)}</span>'
        )
    return "".join(pieces)


class PromptPreviewView(QWidget):
    """Shows the prompt for (character, interaction, scene) in the story's style."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.text = QTextBrowser(objectName="PromptPreview")
        self.text.setOpenLinks(False)
        self.text.setMinimumHeight(70)
        self.text.setMaximumHeight(120)
        self.status = QLabel(objectName="Hint")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.text)
        layout.addWidget(self.status)
        self.preview: PromptPreview | None = None
        self._args: tuple[str, str, str, Mapping[str, str], str] | None = None
        self._retry = QTimer(self, singleShot=True, interval=200)
        self._retry.timeout.connect(self._render)
        warm_up_tokenizer()

    def show_card(
        self, character: str, interaction: str, scene: str, cast: Mapping[str, str], style: str
    ) -> None:
        self._args = (character, interaction, scene, dict(cast), style)
        self._render()

    def clear(self) -> None:
        self._args = None
        self.preview = None
        self.text.clear()
        self.status.clear()

    def _render(self) -> None:
        if self._args is None:
            return
        character, interaction, scene, cast, style_name = self._args
        prompt = compile_card(character, interaction, scene, cast)
        try:
            style = get_style(style_name)
        except EngineError as exc:
            self.text.setPlainText(prompt)
            self.status.setText(str(exc))
            return
        if not tokenizer_ready():
            self.text.setPlainText(apply_style(prompt, style))
            self.status.setText("Counting tokens…")
            self._retry.start()
            return
        preview = preview_prompt(prompt, style)
        self.preview = preview
        self.text.setHtml(preview_html(preview, style.prefix, style.suffix))
        notes = []
        if preview.over_budget:
            notes.append(
                f'<span style="color:#a15c07"><b>{preview.tokens} of {preview.budget} tokens</b>'
                " — the model never sees the part struck through. Shorten the card or the "
                "cast description.</span>"
            )
        else:
            notes.append(f"{preview.tokens} of {preview.budget} tokens")
        unknown = unknown_mentions(" ".join((character, interaction, scene)), cast)
        if unknown:
            names = ", ".join("@" + n for n in unknown)
            notes.append(
                f'<span style="color:#a15c07">{html.escape(names)} not in the cast: sent as '
                "written.</span>"
            )
        if not prompt:
            notes.append("The card is empty: the model gets only the style's words.")
        self.status.setText(" · ".join(notes))

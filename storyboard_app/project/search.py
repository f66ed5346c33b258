"""Board search: a full-text index over the frame cards, and filters by a card's state.

The index is the FTS5 table ``frame_fts`` over the cards' text fields, created by schema
migration 2 with sqlite-utils' ``enable_fts`` and kept current by its triggers, so every
edit, undo, import or rename updates it in the same transaction. Cast members are found
through their mentions: ``@Mara`` in a card is the word ``mara`` in the index.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlite_utils import Database

from storyboard_app.project.model import BoardCard

# The card fields a search looks at: every text a writer types on a card.
SEARCH_COLUMNS = ("character", "interaction", "scene", "caption", "notes", "shot_label")


class CardState(StrEnum):
    """What a board filter can ask of a card besides its text."""

    STALE = "stale"
    LOCKED = "locked"
    POSED = "posed"
    NO_IMAGE = "no-image"
    DRIFTING = "drifting"  # from the consistency read-outs (storyboard_app/project/report.py)

    @property
    def label(self) -> str:
        """The state as the board names it."""
        return self.value.replace("-", " ")


def card_states(card: BoardCard, drifting: bool = False) -> frozenset[CardState]:
    """The states a board card is in (``drifting``: the read-outs flag its frame)."""
    states = {
        CardState.STALE: card.stale,
        CardState.LOCKED: card.frame.locked,
        CardState.POSED: card.posed,
        CardState.NO_IMAGE: card.current_image_id is None,
        CardState.DRIFTING: drifting,
    }
    return frozenset(state for state, holds in states.items() if holds)


@dataclass(frozen=True)
class BoardQuery:
    """Which cards the board shows: those whose text has every word of ``text`` (each word
    as the start of a word on the card, ignoring case and accents) and that are in any one
    of ``states``. An empty text or an empty set of states does not filter."""

    text: str = ""
    states: frozenset[CardState] = frozenset()

    @property
    def filters(self) -> bool:
        """Whether this query hides any card at all."""
        return match_expression(self.text) is not None or bool(self.states)

    def admits(
        self,
        card: BoardCard,
        text_matches: frozenset[int] | None,
        drifting: frozenset[int] = frozenset(),
    ) -> bool:
        """Whether ``card`` is shown, given the frame ids whose text matches (None: no text
        filter; see ``matching_frame_ids``) and the ids of the frames that drift."""
        if text_matches is not None and card.frame.id not in text_matches:
            return False
        states = card_states(card, card.frame.id in drifting)
        return not self.states or bool(self.states & states)


def match_expression(text: str) -> str | None:
    """The FTS5 query for what a writer typed: every word must appear, each as a prefix;
    quotes and FTS operators are taken literally. None when ``text`` has no words."""
    words = [chunk for chunk in text.split() if any(ch.isalnum() for ch in chunk)]
    if not words:
        return None
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def create_search_index(conn: sqlite3.Connection) -> None:
    """Create ``frame_fts`` over ``SEARCH_COLUMNS``, fill it from the frames and add the
    triggers that keep it current (runs inside the caller's transaction)."""
    _database(conn).table("frame").enable_fts(list(SEARCH_COLUMNS), create_triggers=True)


def matching_frame_ids(conn: sqlite3.Connection, text: str) -> frozenset[int] | None:
    """Ids of the frames whose text matches ``text`` (see ``BoardQuery``); None when
    ``text`` has no words, so nothing is filtered by text."""
    expression = match_expression(text)
    if expression is None:
        return None
    rows: Iterable[dict] = _database(conn).table("frame").search(expression, columns=["id"])
    return frozenset(int(row["id"]) for row in rows)


def _database(conn: sqlite3.Connection) -> Database:
    # No plugins and no recursive_triggers pragma: the store's connection keeps its settings.
    return Database(conn, recursive_triggers=False, execute_plugins=False)

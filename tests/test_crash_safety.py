"""The crash-safety benchmark in small: the real `storyboard render` killed once with SIGKILL
and once with SIGTERM at random points, then integrity, verify and resume (bench/crash_safety.py
runs the same with more kills; figures in docs/BENCHMARKS.md)."""

from __future__ import annotations

import os
import shutil

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL")


def test_kills_leave_an_intact_file_that_resumes(preview_models, tmp_path):
    from bench.crash_safety import crash_safety

    cache = tmp_path / "cache"
    shutil.copytree(preview_models.base.parent, cache / "preview-models" / "micro")
    env = os.environ | {
        "STORYITER_CACHE_DIR": str(cache),
        "STORYITER_CONFIG_DIR": str(tmp_path / "config"),
    }
    work = tmp_path / "work"
    work.mkdir()
    report = crash_safety(work, kills=2, frames=3, seed=3, env=env)
    assert report.kills == 2 and report.sigterms == 1, report
    assert report.problems == [], report.problems
    assert (report.corruptions, report.partial_images, report.failed_resumes) == (0, 0, 0)
    assert report.unclean_sigterms == 0
    assert report.images >= 3  # round 0 of every frame at least, after the final resume

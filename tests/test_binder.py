"""binder/ reproduces the pinned environment (static checks; scripts/check_binder.sh runs it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"


def test_runtime_is_the_python_of_the_project():
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low = re.search(r">=\s*(\d+\.\d+)", spec).group(1)
    assert (BINDER / "runtime.txt").read_text().strip() == f"python-{low}"
    assert low == f"{sys.version_info[0]}.{sys.version_info[1]}"


def test_binder_requirements_are_the_lean_runtime_set():
    # repo2docker reads only binder/ and does not follow "-r ../requirements.txt".
    from xaibook.book.notebooks import runtime_requirements

    assert (BINDER / "requirements.txt").read_text() == runtime_requirements(ROOT)["binder/requirements.txt"], (
        "binder/requirements.txt is stale: run .venv/bin/xaibook notebooks --runtime-requirements")
    pins = (BINDER / "requirements.txt").read_text().lower()
    for tool in ("jupyter-book==", "sphinx==", "pytest==", "playwright==", "xgboost==", "nvidia-"):
        assert tool not in pins, f"{tool} is a build tool, not needed to run a chapter"


def test_binder_opens_the_exported_notebooks():
    text = (BINDER / "postBuild").read_text()
    assert "export_notebook" in text and "XAIBOOK_NOTEBOOK_DIR" in text
    assert "--pretrain" in text  # every model a chapter loads
    assert "fetch_models" in text  # by digest, from the site or CI's build


def test_apt_brings_fashion_mnist():
    lines = [line.strip() for line in (BINDER / "apt.txt").read_text().splitlines()]
    assert "dataset-fashion-mnist" in lines


def test_apt_brings_the_libraries_opencv_loads():
    # quantus needs opencv-python (not the headless build), whose cv2 links
    # libGL and GLib: missing from Binder's base image, present on Colab.
    runtime = (BINDER.parent / "requirements-runtime.txt").read_text().lower()
    lines = [line.strip() for line in (BINDER / "apt.txt").read_text().splitlines()]
    if "opencv-python==" in runtime:
        assert {"libgl1", "libglib2.0-0"} <= set(lines)


def test_postbuild_is_an_executable_bash_script():
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK)
    text = post.read_text()
    assert text.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in text
    subprocess.run(["bash", "-n", str(post)], check=True)
    for step in ("pip install --no-deps --editable .", "xaibook.book.cli data fetch", "xaibook.book.cli data verify",
                 'pip install --no-deps "$(pin PDPbox)"'):
        assert step in text

"""The GitHub Pages workflow stays consistent with the Makefile, _config.yml and binder/.

It cannot run here; these checks catch drift. (Schema check, outside the test
suite: check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/book.yml)
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def load():
    data = yaml.safe_load(WORKFLOW.read_text())
    # YAML 1.1 reads the key "on" as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps(job):
    return load()["jobs"][job]["steps"]


def runs(job):
    return "\n".join(step.get("run", "") for step in steps(job))


def uses(job):
    return [step["uses"] for step in steps(job) if "uses" in step]


def test_triggers_and_deploy_only_from_main():
    data = load()
    assert data["on"]["push"]["branches"] == ["main"]
    assert "pull_request" in data["on"]
    deploy = data["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert "refs/heads/main" in deploy["if"] and "pull_request" in deploy["if"]
    assert deploy["permissions"] == {"contents": "write"}
    assert data["permissions"] == {"contents": "read"}


def test_every_action_is_pinned_to_a_version():
    for job in ("build", "deploy"):
        for action in uses(job):
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+(\.\d+)*", action), action


def test_builds_with_the_makefile_target():
    assert "make book" in runs("build")
    assert re.search(r"^book:", (ROOT / "Makefile").read_text(), re.M)


def test_python_matches_binder_and_pyproject():
    setup = next(s for s in steps("build") if s.get("uses", "").startswith("actions/setup-python"))
    version = setup["with"]["python-version"]
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == f"python-{version}"
    assert f">={version}" in (ROOT / "pyproject.toml").read_text()


def test_caches_the_execution_cache_of_config_and_the_data():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    cached = [s["with"]["path"] for s in steps("build") if s.get("uses", "").startswith("actions/cache")]
    assert config["execute"]["cache"] in cached
    assert "~/.cache/xaibook" in cached


def test_installs_fashion_mnist_and_publishes_notebooks_and_slides():
    text = runs("build")
    assert "dataset-fashion-mnist" in text
    assert "xaibook notebooks --site _build/html" in text
    assert "xaibook slides --out _build/html/slides" in text


def test_deploys_the_site_to_the_branch_the_colab_links_use():
    from xaibook.book.notebooks import PAGES_BRANCH

    deploy = next(s for s in steps("deploy") if "actions-gh-pages" in s.get("uses", ""))
    assert deploy["with"]["publish_branch"] == PAGES_BRANCH
    upload = next(s for s in steps("build") if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == "_build/html"

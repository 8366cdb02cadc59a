"""The Gen Z measurements' JSON store."""

import json

from xaibook.cases.genz.store import write_json


def test_write_json_creates_the_folder_and_leaves_no_partial_file(tmp_path):
    path = tmp_path / "models" / "genz-x.json"
    write_json(path, {"a": [1.5, 2]}, indent=1)
    assert json.loads(path.read_text()) == {"a": [1.5, 2]}
    write_json(path, [3])                     # replaces the old file whole
    assert json.loads(path.read_text()) == [3]
    assert [p.name for p in path.parent.iterdir()] == ["genz-x.json"]

import json
import sys
import types

from apps import demo


def test_demo_runner_prints_a_table_and_fails_on_errors(monkeypatch, capsys):
    good = types.SimpleNamespace(run=lambda fast: {"app": "good", "task": "t", "data": "d", "metric": "accuracy",
                                                   "value": 0.5, "seconds": 1.0})

    def broken(fast):
        raise RuntimeError("no data")

    monkeypatch.setitem(sys.modules, "apps.image_recognition.demo", good)
    monkeypatch.setitem(sys.modules, "apps.video_analysis.demo", types.SimpleNamespace(run=broken))
    code = demo.main(["--only", "image_recognition", "video_analysis", "--fast", "--json"])
    out = capsys.readouterr().out
    assert code == 1
    assert "accuracy" in out and "0.5000" in out and "error" in out
    rows = json.loads(out.strip().splitlines()[-1])["rows"]
    assert [r["app"] for r in rows] == ["good", "video_analysis"]

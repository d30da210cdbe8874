"""One place for a clinic's settings (issue 22): copies in the user's config folder are read first, keys added
in newer versions are filled from the defaults with a notice, and `config --check` names the line at fault."""

from __future__ import annotations

import json

import pytest

from monitor.alarms.profile import load_profile
from monitor.cli.config import check_settings, value_lines
from monitor.cli.dispatch import main
from monitor.clinical.config import DEFAULT_PATH, load_clinical_config


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """The user's config folder, empty, with no notice told yet in this process."""
    monkeypatch.setenv("INFUSION_MONITOR_CONFIG", str(tmp_path / "config.json"))
    monkeypatch.setattr("monitor.paths._told", set())
    return tmp_path / "profiles"


def test_value_lines_name_every_key_and_item():
    text = '{\n  "a": {"b": 1,\n    "c": [\n      {"d": 2},\n      3]},\n  "e": "x"\n}\n'
    assert value_lines(text) == {"": 1, "a": 2, "a.b": 2, "a.c": 3, "a.c[0]": 4, "a.c[0].d": 4, "a.c[1]": 5, "e": 6}


def test_copy_then_the_app_reads_the_clinics_copy_first(folder, capsys):
    assert main(["config", "--copy"]) == 0
    assert {p.name for p in folder.iterdir()} == {"clinical.json", "ketamine.json"}
    data = json.loads((folder / "clinical.json").read_text())
    data["infusion"]["stock_mg_per_ml"] = 50
    (folder / "clinical.json").write_text(json.dumps(data))
    profile = json.loads((folder / "ketamine.json").read_text())
    profile["limits"]["spo2"]["medium_low"] = 92
    (folder / "ketamine.json").write_text(json.dumps(profile))
    assert load_clinical_config().stock_mg_per_ml == 50
    assert load_profile("ketamine").limits["spo2"].medium_low == 92
    assert main(["config", "--copy"]) == 0  # a second copy keeps the clinic's edits
    assert load_clinical_config().stock_mg_per_ml == 50
    assert "kept" in capsys.readouterr().out


def test_an_older_copy_gets_the_new_keys_from_the_defaults_with_one_notice(folder, capsys):
    folder.mkdir()
    data = json.loads(DEFAULT_PATH.read_text())
    del data["infusion"]["pause_reminder_min"], data["bp_forecast"]
    (folder / "clinical.json").write_text(json.dumps(data, indent=2))
    assert load_clinical_config().pause_reminder_min == load_clinical_config(DEFAULT_PATH).pause_reminder_min
    load_clinical_config()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "infusion.pause_reminder_min, bp_forecast" in err and "config --check" in err
    kind, findings = check_settings(folder / "clinical.json")
    assert kind == "clinical" and not any(f.refused for f in findings)
    assert [(f.line, f.words.split(" (")[0]) for f in findings] == [
        (json.dumps(data, indent=2).splitlines().index('  "infusion": {') + 1, "lacks 'infusion.pause_reminder_min'"),
        (1, "lacks 'bp_forecast'")]


def test_an_older_alarm_profile_copy_gets_new_limits_from_the_bundled_one(folder, capsys):
    folder.mkdir()
    bundled = json.loads((DEFAULT_PATH.parent / "ketamine.json").read_text())
    del bundled["limits"]["etco2"]
    (folder / "ketamine.json").write_text(json.dumps(bundled))
    assert load_profile("ketamine").limits["etco2"].high_high == 60
    assert "limits.etco2" in capsys.readouterr().err


@pytest.mark.parametrize("edit, line, words", [
    (lambda d: d["dose_limits"]["weight_kg"].update(hard_min=-1), '"hard_min": -1', "dose_limits.weight_kg.hard_min must"),
    (lambda d: d["markers"][2].update(key="xx"), '"key": "xx"', "markers[2].key must be one character"),
    (lambda d: d["nibp_schedule"].update(typo=1), '"typo"', "nibp_schedule: unknown key 'typo'"),
    (lambda d: d.update(typo=1), '"typo"', "top level: unknown key 'typo'"),
])
def test_check_names_the_line_of_a_refused_clinical_value(tmp_path, edit, line, words):
    data = json.loads(DEFAULT_PATH.read_text())
    edit(data)
    text = json.dumps(data, indent=2)
    (tmp_path / "c.json").write_text(text)
    kind, [finding] = check_settings(tmp_path / "c.json")
    assert finding.refused and finding.words.startswith(words)
    assert finding.line == next(i for i, t in enumerate(text.splitlines(), 1) if line in t)


def test_check_names_the_line_of_a_refused_alarm_limit_and_of_bad_json(tmp_path, capsys):
    profile = json.loads((DEFAULT_PATH.parent / "ketamine.json").read_text())
    profile["limits"]["resp_rate"]["high_low"] = 9  # above its medium limit 8
    text = json.dumps(profile, indent=2)
    (tmp_path / "k.json").write_text(text)
    (tmp_path / "bad.json").write_text('{\n  "name": "x",\n  "limits": {,\n}\n')
    assert main(["config", "--check", str(tmp_path / "k.json"), str(tmp_path / "bad.json")]) == 2
    out, err = capsys.readouterr()
    resp = next(i for i, t in enumerate(text.splitlines(), 1) if '"resp_rate"' in t)
    assert f"k.json:{resp}: error: Resp medium-priority low limit 8" in out
    assert "bad.json:3: error: not valid JSON" in out
    assert err.count("\n") == 1 and "refuses" in err

"""One declaration per parameter (devices.values.PARAMS): every place that names or bounds a parameter reads it.

A parameter's row is changed here and the change must show on the tile, in the
alarm text and the alarm line, in limit validation, in the plausibility gate, in
a typed-in BP, on the probe line and in the export codes; and no second table of
units, names or ranges may come back anywhere in the code.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path

import pytest

from devices.plausibility import plausible
from devices.probe import _Evidence
from devices.sim.physiology import Vitals
from devices.values import PARAMS, Param, mean_arterial, sample
from monitor.alarms import AlarmEngine, ParamLimits, ProfileError, load_profile
from monitor.alarms.profile import validate_limits
from monitor.export.codes import BP_PANEL, PARAMETERS
from monitor.live.core import MonitorCore
from monitor.live.screen import CoreState, compose
from monitor.live.state import LiveState
from monitor.live.view import ScreenView
from monitor.storage.store import Store

ROOT = Path(__file__).resolve().parent.parent.parent
WALL = 1_700_000_000.0


def _screen_and_events(param: str, value: float) -> tuple[ScreenView, list[str]]:
    """Feed `value` of `param` for 20 s to a live state and an alarm engine; return the screen and alarm texts."""
    t = [1000.0]
    live = LiveState(("pulseox",), clock=lambda: t[0])
    engine = AlarmEngine(load_profile("ketamine"), clock=lambda: t[0], wallclock=lambda: WALL + t[0])
    messages: list[str] = []
    for _ in range(20):
        t[0] += 1
        item = sample(WALL + t[0], "pulseox", param, value)
        live.update(item)
        messages += [e.message for e in engine.on_item(item) + engine.tick()]
    view = compose(CoreState(snap=live.snapshot(), now_mono=t[0], now_wall=WALL + t[0], alarms=engine.active(),
                             limits={param: engine.limits(param)}, audible=engine.audible_priority(),
                             pause_remaining_s=engine.audio_pause_remaining(), advice=engine.advice()))
    return view, messages


def test_one_row_renames_a_parameter_on_the_tile_in_the_alarms_and_in_the_exports(monkeypatch):
    monkeypatch.setitem(PARAMS, "spo2", replace(PARAMS["spo2"], label="Sat", title="Sat (finger)",
                                                name="Oxygen saturation", unit="pct"))
    view, messages = _screen_and_events("spo2", 80.0)
    tile = view.tile("spo2")
    assert (tile.title, tile.unit) == ("Sat (finger)", "pct")
    assert any(m.startswith("Sat 80") for m in messages), messages  # the alarm engine's text
    assert any("Sat (finger) 80" in line.text for line in view.physiological.lines)  # the screen's alarm line
    code = PARAMETERS["spo2"]
    assert (code.label, code.short, code.unit.text, code.unit.ucum) == ("Oxygen saturation", "Sat", "pct", "%")
    with pytest.raises(ProfileError, match=r"^Sat high-priority low limit 40 .* 50 to 100 pct$"):
        validate_limits("spo2", ParamLimits(high_low=40.0))
    evidence = _Evidence("cms50dplus")
    evidence.params = {"spo2", "pulse_rate"}
    assert evidence.found("/dev/x").params == ("Sat", "Pulse")


def test_one_row_moves_the_plausible_and_the_limit_ranges(monkeypatch, tmp_path):
    core = MonitorCore(Store(tmp_path / "s.db"), [])  # not started: enter_bp checks before anything is queued
    with pytest.raises(ValueError, match=r"^systolic 35 mmHg is not plausible \(40-300\)$"):
        core.enter_bp(35, 20)
    assert not plausible("sbp", 35.0)
    monkeypatch.setitem(PARAMS, "sbp", replace(PARAMS["sbp"], plausible=(30.0, 300.0), limits=(30.0, 260.0)))
    assert plausible("sbp", 35.0)
    assert PARAMETERS["sbp"].physical_range == (30.0, 300.0)  # the EDF signal's range
    assert core.enter_bp(35, 20).map == mean_arterial(35, 20) == 25.0
    validate_limits("sbp", ParamLimits(high_low=35.0, high_high=200.0))  # now within the limit range


def test_every_parameter_has_one_consistent_row():
    assert {p.value for p in Param} <= set(PARAMS)
    assert set(PARAMETERS) <= set(PARAMS)
    for name, spec in PARAMS.items():
        if spec.plausible and spec.limits:  # a limit no valid value can reach would never alarm
            assert spec.plausible[0] <= spec.limits[0] < spec.limits[1] <= spec.plausible[1], name
        # the unit people read is the export's UCUM unit written for people ("mm[Hg]" -> "mmHg", "1" -> "")
        assert spec.unit == {"mm[Hg]": "mmHg", "1": ""}.get(spec.ucum, spec.ucum), name
    with pytest.raises(KeyError):
        BP_PANEL.unit  # noqa: B018  a panel has no value of its own


def test_mean_arterial_pressure_is_one_formula_in_whole_mmhg():
    assert mean_arterial(120, 80) == 93.0 and mean_arterial(128, 82) == 97.0 and mean_arterial(100, 61) == 74.0
    vitals = Vitals(t=0.0, spo2=97.0, pulse_rate=70.0, perfusion_index=2.0, pleth=0.5, sbp=128.0, dbp=82.0,
                    resp_rate=14.0)
    assert vitals.map == 97.0
    formula = re.compile(r"\(\s*\w*sbp\w*\s*-\s*\w*dbp\w*\s*\)\s*/\s*3")
    copies = [str(f.relative_to(ROOT)) for f in _sources() if formula.search(f.read_text(encoding="utf-8"))]
    assert copies == ["devices/values.py"]


def _sources() -> list[Path]:
    return sorted(f for room in ("devices", "monitor", "ui") for f in (ROOT / room).rglob("*.py"))


def _vocabulary_tables(tree: ast.AST) -> list[int]:
    """Return the lines of dict literals that give two or more parameters a name or unit (words) or a range (a
    pair of numbers): what PARAMS holds. A protocol's wire ranges (low, high, step), a layout's sizes and a map
    from one parameter to another are no such table."""
    def vocabulary(v: ast.expr) -> bool:
        if isinstance(v, ast.Constant):
            return isinstance(v.value, str)
        return isinstance(v, ast.Tuple) and len(v.elts) == 2 and all(isinstance(e, ast.Constant) for e in v.elts)

    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        to_params = all(isinstance(v, ast.Constant) and v.value in PARAMS for v in node.values)
        if sum(k in PARAMS for k in keys) >= 2 and all(vocabulary(v) for v in node.values) and not to_params:
            out.append(node.lineno)
    return out


def test_no_second_table_of_units_names_or_ranges():
    found = {str(f.relative_to(ROOT)): lines for f in _sources()
             if (lines := _vocabulary_tables(ast.parse(f.read_text(encoding="utf-8"))))}
    assert found == {}
    planted = ast.parse('TITLES = {"spo2": "SpO2", "pulse_rate": "Pulse"}\nR = {"sbp": (40, 300), "dbp": (15, 250)}')
    assert _vocabulary_tables(planted) == [1, 2]  # the check sees a table when there is one
    import devices.plausibility as plausibility_module
    import devices.probe as probe_module
    import devices.values as values_module
    import monitor.alarms.profile as profile_module
    import monitor.live.screen as screen_module
    gone = {"UNITS": values_module, "RANGES": plausibility_module, "LABELS": probe_module,
            "PHYSIOLOGICAL_RANGE": profile_module, "DISPLAY_UNITS": profile_module, "TITLES": screen_module}
    assert [name for name, module in gone.items() if hasattr(module, name)] == []
    assert not hasattr(screen_module, "UNITS")

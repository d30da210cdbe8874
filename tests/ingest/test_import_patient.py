"""`import --patient`: captures from another tool filed under their patient, so a course is built from them."""

from __future__ import annotations

import json

import pytest
from test_import import MTIME, cli, write

from devices.sim.capture import device_bytes

WEEK = 7 * 86400.0


@pytest.mark.slow
def test_captures_imported_under_a_patient_make_the_patients_course(tmp_path):
    db = tmp_path / "s.db"
    for k in range(2):
        path = write(tmp_path, f"visit{k}.bin", device_bytes("cms50dplus", 120), mtime=MTIME + k * WEEK)
        out = cli("import", "--db", str(db), "--protocol", "cms50dplus", "--patient", " P-7 ", str(path))
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines()[-1] == f"imported as session {k + 1} (closed), patient P-7"
    listed = cli("sessions", "--db", str(db), "--patient", "P-7")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 3, listed.stdout  # heading and two sessions
    course = cli("course", "--db", str(db), "--patient", "P-7", "--format", "json")
    assert course.returncode == 0, course.stderr
    rows = json.loads(course.stdout)["sessions"]
    assert [r["session_id"] for r in rows] == [1, 2]
    assert all(r["min_spo2"] is not None and r["infusion_state"] is None for r in rows)  # vitals only, no infusion
    other = cli("import", "--db", str(db), "--protocol", "cms50dplus", str(path))  # no --patient: filed under none
    assert other.returncode == 0 and other.stdout.splitlines()[-1] == "imported as session 3 (closed)"
    assert len(json.loads(cli("course", "--db", str(db), "--patient", "P-7", "--format", "json").stdout)
               ["sessions"]) == 2


@pytest.mark.slow
def test_an_unusable_patient_id_is_one_line_exit_2_and_leaves_no_file(tmp_path):
    path = write(tmp_path, "v.bin", device_bytes("cms50dplus", 30))
    db = tmp_path / "s.db"
    out = cli("import", "--db", str(db), "--protocol", "cms50dplus", "--patient", "P\x07", str(path))
    assert out.returncode == 2 and "--patient" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert not db.exists()

"""`infusion-monitor config`: one place for a clinic's settings (the clinical figures and the alarm profiles).

`--copy` puts editable copies of the packaged settings in the user's config
folder (monitor.paths.settings_dir), which the app then reads first;
`--check [FILE]` says, with the line, what the app would refuse in a copy and
which keys it lacks (a copy made by an older version), before a session
depends on it. Without an option it says which files are in use.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.alarms.profile import ProfileError, bundled_profiles, profile_from_dict
from monitor.app import UserError, printable
from monitor.clinical.config import DEFAULT_PATH, SETTINGS_NAME, ConfigError, parse_clinical_config
from monitor.paths import filled_from_defaults, packaged_settings, private_dir, private_output, settings_dir

#: A JSON value's path in the words of the settings' messages: 'dose_limits.weight_kg.hard_min', 'markers[2].key'.
_PATH_HEAD = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*|\[\d+\])*")


@dataclass(frozen=True)
class Finding:
    """One thing to say about a settings file: its line (1-based), the words, and whether the app refuses it."""

    line: int
    words: str
    refused: bool


def value_lines(text: str) -> dict[str, int]:
    """Return the line of every key and list item of a valid JSON text, by path ('a.b', 'a[0].c'); '' is line 1."""
    newlines = [i for i, c in enumerate(text) if c == "\n"]
    decoder = json.JSONDecoder()
    space = re.compile(r"[ \t\n\r]*")
    lines = {"": 1}

    def line(i: int) -> int:
        return sum(1 for n in newlines if n < i) + 1

    def walk(i: int, path: str) -> int:
        i = space.match(text, i).end()
        if text[i] in "{[":
            closing, n = "}" if text[i] == "{" else "]", 0
            i = space.match(text, i + 1).end()
            while text[i] != closing:
                if closing == "}":
                    key, i = json.decoder.scanstring(text, i + 1)
                    inner = f"{path}.{key}" if path else key
                    lines[inner] = line(i)
                    i = space.match(text, i).end() + 1  # the ':'
                else:
                    inner = f"{path}[{n}]"
                    lines[inner] = line(space.match(text, i).end())
                    n += 1
                i = space.match(text, walk(i, inner)).end()
                if text[i] == ",":
                    i = space.match(text, i + 1).end()
            return i + 1
        return decoder.raw_decode(text, i)[1]

    walk(0, "")
    return lines


def line_of(words: str, lines: dict[str, int]) -> int:
    """Return the line of the deepest value a message names first ('infusion.stock_mg_per_ml must be...'), or of
    the stray key an "unknown key 'x'" names."""
    head = _PATH_HEAD.match(words)
    path = head.group(0) if head else ""
    unknown = re.search(r"unknown key '([^']+)'", words)
    if unknown:  # the line of the stray key itself ("top level: unknown key 'x'" names no path)
        key = unknown.group(1)
        path = next((p for p in (f"{path}.{key}", key) if p in lines and (p != key or path not in lines)), path)
    while path not in lines:  # the nearest enclosing value that is in the file ('' is)
        shorter = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", path)
        path = "" if shorter == path else shorter
    return lines[path]


def _defaults(kind: str, name: str) -> Any:
    """Return the packaged defaults a copy is filled from (None for an alarm profile of a name not packaged)."""
    if kind == "clinical":
        return json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    entry = packaged_settings(name)
    return json.loads(entry.read_text(encoding="utf-8")) if entry.is_file() else None


def _refused_clinical(data: Any, lines: dict[str, int]) -> Finding | None:
    try:
        parse_clinical_config(data, source="")
    except ConfigError as exc:
        words = str(exc).removeprefix(": ")
        return Finding(line_of(words, lines), words, True)
    return None


def _profile_pieces(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Return each part of an alarm profile alone, as a profile of its own, by path (to find a refusal's line)."""
    name = data.get("name") if isinstance(data.get("name"), str) and data.get("name") else "check"
    pieces: list[tuple[str, dict[str, Any]]] = [(k, {"name": name, k: v}) for k, v in data.items()
                                                if k not in ("limits", "advisories", "technical")]
    for key in ("limits", "technical"):
        if isinstance(data.get(key), dict):
            pieces += [(f"{key}.{k}", {"name": name, key: {k: v}}) for k, v in data[key].items()]
    if isinstance(data.get("advisories"), list):
        pieces += [(f"advisories[{i}]", {"name": name, "advisories": [a]}) for i, a in enumerate(data["advisories"])]
    return pieces


def _refused_profile(data: Any, lines: dict[str, int]) -> Finding | None:
    try:
        profile_from_dict(data)
    except ProfileError as exc:
        words = str(exc)
        for path, piece in _profile_pieces(data) if isinstance(data, dict) else []:
            try:
                profile_from_dict(piece)
            except ProfileError:
                return Finding(lines.get(path, 1), words, True)
        return Finding(line_of(words, lines), words, True)
    return None


def check_settings(path: Path) -> tuple[str, list[Finding]]:
    """Check a settings file as the app would read it; return its kind and what to say, refusals first.

    The kind ('clinical' or 'alarm profile') is read from the content. Keys a
    copy lacks are filled from the packaged defaults, as when the app reads
    it, and said as notices; a value the app refuses is said with its line.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return "settings", [Finding(exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})", True)]
    kind = "clinical" if isinstance(data, dict) and "dose_limits" in data else "alarm profile"
    lines = value_lines(text)
    data, filled = filled_from_defaults(data, _defaults(kind, path.stem))
    notices = [Finding(line_of(key, lines), f"lacks '{key}' (added in a newer version): the default "
                                            f"{_short(_defaults(kind, path.stem), key)} is used", False)
               for key in filled]
    refused = (_refused_clinical if kind == "clinical" else _refused_profile)(data, lines)
    return kind, ([refused] if refused else []) + notices


def _short(defaults: Any, key: str) -> str:
    """Return a default value as JSON, cut to a readable length."""
    value = defaults
    for part in key.split("."):
        value = value[part]
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def cmd_config(args: argparse.Namespace) -> int:
    if args.copy:
        return _copy()
    if args.check is not None:
        files = [Path(f) for f in args.check] or sorted(settings_dir().glob("*.json"))
        if not files:
            print(printable(f"no edited settings in {settings_dir()}: the packaged defaults are used "
                            f"('infusion-monitor config --copy' puts copies there to edit)"))
            return 0
        return _check(files)
    folder = settings_dir()
    print(printable(f"settings folder: {folder}"))
    for name in bundled_profiles():
        copy = folder / f"{name}.json"
        print(printable(f"{name}: {'your copy ' + str(copy) if copy.is_file() else 'the packaged defaults'}"))
    return 0


def _check(files: list[Path]) -> int:
    refused = []
    for path in files:
        kind, findings = check_settings(path)
        for f in findings:
            print(printable(f"{path}:{f.line}: {'error' if f.refused else 'notice'}: {f.words}"))
        if any(f.refused for f in findings):
            refused.append(str(path))
        else:
            print(printable(f"{path}: valid {kind} settings"))
    if refused:
        raise UserError(f"the app refuses {', '.join(refused)}: correct the line named above")
    return 0


def _copy() -> int:
    """Write the packaged settings into the settings folder; a copy already there is kept (it holds edits)."""
    folder = private_dir(settings_dir())
    for name in bundled_profiles():
        target = folder / f"{name}.json"
        if target.exists():
            print(printable(f"kept {target} (already there; delete it to get the defaults again)"))
            continue
        with private_output(target, "w", encoding="utf-8") as out:
            out.write(packaged_settings(name).read_text(encoding="utf-8"))
        print(printable(f"wrote {target}"))
    print(printable(f"edit them there; the app reads them first ({SETTINGS_NAME}.json: the clinical figures, "
                    f"the others: alarm profiles). Check an edit with 'infusion-monitor config --check'"))
    return 0

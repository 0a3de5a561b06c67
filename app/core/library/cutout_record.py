"""How a version's subject was cut out, kept with its parameters: the method, its confidence, and
the mask file when the artist gave one. `sweedle library show` prints it; it is an outcome, not a
setting, so the check for an identical earlier version leaves it out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CUTOUT_KEY = "cutout_result"
_FIELDS = {"mask": "method", "mask_confidence": "confidence", "mask_doubt": "doubt", "mask_file": "mask_file"}


def cutout_record(provenance: Mapping[str, Any]) -> dict[str, Any]:
    """`{CUTOUT_KEY: {...}}` from a result's provenance; empty when it says nothing about a cutout."""
    found = {name: provenance[key] for key, name in _FIELDS.items() if key in provenance}
    return {CUTOUT_KEY: found} if found else {}


def without_cutout_record(parameters: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in parameters.items() if key != CUTOUT_KEY}


def describe_cutout(parameters: Mapping[str, Any]) -> str:
    """One line for `library show`: "grabcut, confidence 0.62 (mask file mask.png)"; "" when unknown."""
    record = parameters.get(CUTOUT_KEY)
    if not isinstance(record, Mapping) or "method" not in record:
        return ""
    text = str(record["method"])
    confidence = record.get("confidence")
    if isinstance(confidence, int | float):
        text += f", confidence {confidence:.2f}"
    if record.get("doubt"):
        text += f" ({record['doubt']})"
    if record.get("mask_file"):
        text += f", from the mask {record['mask_file']}"
    return text

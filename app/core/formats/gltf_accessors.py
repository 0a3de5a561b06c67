"""The arrays of a glTF document, read defensively and many at a time.

A file can declare any index, count, offset or stride; numpy would happily build a view on that
word. So the numbers of every accessor and buffer view are checked, column by column, the first
time one is needed, and the bytes each accessor declares are checked against the bytes its
buffer really has before anything is allocated.

Files from CAD tools hold 100k mesh parts with 200k accessors: reading them one by one took
minutes. `gather` reads any list of accessors (repeats allowed) into one array with a few
vectorised passes per buffer and component type, whatever their strides and alignment.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np

from app.core.base.errors import InputError

COMPONENT_DTYPES = {
    5120: np.int8,
    5121: np.uint8,
    5122: np.int16,
    5123: np.uint16,
    5125: np.uint32,
    5126: np.float32,
}
TYPE_WIDTHS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
_ITEMSIZES = np.zeros(max(COMPONENT_DTYPES) + 1, dtype=np.int64)
_ITEMSIZES[list(COMPONENT_DTYPES)] = [np.dtype(t).itemsize for t in COMPONENT_DTYPES.values()]
_LARGEST_EXACT = 2**53
"""Whole numbers up to here survive the trip through float64."""


class Malformed(ValueError):
    """A structural fault in a glTF document, worded to follow "<file> is damaged: "."""


def whole_numbers(raw: list[Any], what: str, missing: int | None = None) -> np.ndarray:
    """`raw` as int64 whole numbers ≥ 0, checked in one pass (JSON may give 3.0, or 1e999 as
    infinity). None becomes `missing`, and is refused when `missing` is None."""
    filled = raw if missing is None else [missing if v is None else v for v in raw]
    try:
        numbers = np.array(filled, dtype=np.float64)
        if numbers.shape != (len(filled),):
            raise ValueError("not a flat list of numbers")
    except (TypeError, ValueError, OverflowError):  # lists, objects, 400-digit integers
        numbers = np.array([v if _plain_number(v) else np.nan for v in filled], dtype=np.float64)
    lowest = -1 if missing == -1 else 0
    valid = np.isfinite(numbers) & (numbers == np.floor(numbers))
    valid &= (numbers >= lowest) & (numbers <= _LARGEST_EXACT)
    if not valid.all():
        bad = int(np.argmin(valid))
        shown = "missing" if raw[bad] is None else f"{_shown(raw[bad])}, not a whole number of at least 0"
        raise Malformed(f"{what} {bad} is {shown}")
    return numbers.astype(np.int64)


def _plain_number(value: object) -> bool:
    """A JSON number that float64 holds exactly enough (not a 400-digit integer)."""
    return isinstance(value, float) or (isinstance(value, int) and abs(value) <= _LARGEST_EXACT)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def segment_positions(counts: np.ndarray) -> np.ndarray:
    """0..counts[k]-1 for every k, concatenated: each item's position inside its segment."""
    total = int(counts.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)


class GltfData:
    """A parsed glTF document and its binary chunk, with checked access to entries and arrays."""

    def __init__(self, doc: dict[str, Any], binary: bytes, path: Path) -> None:
        self.doc, self.binary, self.path = doc, binary, path
        self._buffers: dict[int, bytes | memoryview] = {}
        self._accessors: dict[str, np.ndarray] | None = None
        self._views: dict[str, np.ndarray] | None = None

    def entries(self, kind: str) -> list[Any]:
        items = self.doc.get(kind, [])
        if not isinstance(items, list):
            raise Malformed(f'its "{kind}" is not a list')
        return items

    def entry(self, kind: str, index: object) -> dict[str, Any]:
        """Entry `index` of the top-level list `kind`, which must exist and be an object."""
        items = self.entries(kind)
        item = items[_position(index, len(items), kind)]
        if not isinstance(item, dict):
            raise Malformed(f"{kind} {index} is not an object")
        return item

    def accessor_ids(self, raw: list[Any], what: str, optional: bool = False) -> np.ndarray:
        """References to accessors as an int64 array (-1 where an optional one is absent)."""
        ids = whole_numbers(raw, f"the {what} accessor of primitive", -1 if optional else None)
        count = len(self._accessor_columns()["count"])
        if len(ids) and ids.max() >= count:
            raise Malformed(f"a primitive refers to accessor {int(ids.max())}, but there are only {count}")
        return ids

    def counts(self, ids: np.ndarray) -> np.ndarray:
        """How many items the accessors `ids` declare, not yet checked against their bytes."""
        return self._accessor_columns()["count"][ids]

    def byte_layout(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each accessor in `ids` starts in its buffer and its stride, in bytes, after
        checking that all it declares lies inside its buffer view, and the view in its buffer
        (accessors without a view, which read as zeros, get 0 and 0)."""
        columns, views = self._accessor_columns(), self._view_columns()
        view_ids, declared = columns["bufferView"][ids], columns["count"][ids]
        stored = view_ids >= 0
        if not stored.any():
            return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=np.int64)
        if view_ids.max() >= len(views["buffer"]):
            raise Malformed(
                f"an accessor refers to bufferView {int(view_ids.max())}, "
                f"but there are only {len(views['buffer'])}"
            )
        safe_views = np.maximum(view_ids, 0)
        element = _ITEMSIZES[columns["componentType"][ids]] * columns["width"][ids]
        strides = np.where(views["byteStride"][safe_views] > 0, views["byteStride"][safe_views], element)
        offsets = columns["byteOffset"][ids]
        needed = np.where(declared > 0, offsets + strides * (declared - 1) + element, 0)
        lengths = views["byteLength"][safe_views]
        bad = stored & ((strides < element) | (needed > lengths))
        if bad.any():
            k = int(np.argmax(bad))
            raise Malformed(
                f"accessor {int(ids[k])} declares {int(declared[k]):,} items ({int(needed[k]):,} bytes) "
                f"but its buffer view holds {int(lengths[k]):,} bytes"
            )
        used = np.unique(view_ids[stored])
        view_ends = views["byteOffset"][used] + views["byteLength"][used]
        buffer_sizes = np.array(
            [len(self._buffer(b)) for b in views["buffer"][used].tolist()], dtype=np.int64
        )
        if (view_ends > buffer_sizes).any():
            k = int(np.argmax(view_ends > buffer_sizes))
            raise Malformed(
                f"bufferView {int(used[k])} runs to byte {int(view_ends[k]):,} of a buffer of "
                f"{int(buffer_sizes[k]):,} bytes"
            )
        return views["byteOffset"][safe_views] + offsets, strides

    def gather(self, ids: np.ndarray, counts: np.ndarray, width: int, indices: bool = False) -> np.ndarray:
        """The first `counts[k]` items of accessor `ids[k]` for every k, one after the other:
        a (sum, width) float32 array (normalized integers mapped to [0, 1] or [-1, 1]), or for
        `indices` an int64 one. Callers bound `counts` (the mesh limits) before calling."""
        columns = self._accessor_columns()
        self._check_kinds(ids, width, indices)
        starts, strides = self.byte_layout(ids)
        out = np.zeros((int(counts.sum()), width), dtype=np.int64 if indices else np.float32)
        row_end = np.cumsum(counts)
        view_ids = columns["bufferView"][ids]
        stored = view_ids >= 0  # accessors without a buffer view are zeros
        components = columns["componentType"][ids]
        buffers = np.where(stored, self._view_columns()["buffer"][np.maximum(view_ids, 0)], -1)
        keys = np.stack([buffers, components, columns["normalized"][ids]], axis=1)[stored]
        groups, group_of = np.unique(keys, axis=0, return_inverse=True) if len(keys) else (keys, keys)
        chosen = np.flatnonzero(stored)
        for group, (buffer, component, normalized) in enumerate(groups.tolist()):
            members = chosen[group_of.ravel() == group]
            member_counts = counts[members]
            within = segment_positions(member_counts)
            element_bytes = np.repeat(starts[members], member_counts) + within * np.repeat(
                strides[members], member_counts
            )
            member_rows = np.repeat(row_end[members] - member_counts, member_counts) + within
            dtype = np.dtype(COMPONENT_DTYPES[component]).newbyteorder("<")
            _copy_elements(
                self._buffer(buffer), dtype, element_bytes, member_rows, out, bool(normalized) and not indices
            )
        return out

    def _check_kinds(self, ids: np.ndarray, width: int, indices: bool) -> None:
        columns = self._accessor_columns()
        if columns["sparse"][ids].any():
            raise InputError(f"{self.path} uses sparse accessors, which Sweedle cannot read.")
        widths = columns["width"][ids]
        if (widths != width).any():
            bad = int(np.argmax(widths != width))
            raise Malformed(
                f"accessor {int(ids[bad])} has {int(widths[bad])} components where {width} belong"
            )
        if indices and (columns["componentType"][ids] == 5126).any():
            raise Malformed("an accessor holds triangle indices as fractional numbers")

    def _view_bytes(self, index: object) -> memoryview:
        columns = self._view_columns()
        position = _position(index, len(columns["buffer"]), "bufferViews")
        data = self._buffer(int(columns["buffer"][position]))
        start, length = int(columns["byteOffset"][position]), int(columns["byteLength"][position])
        if start + length > len(data):
            raise Malformed(
                f"bufferView {index} runs to byte {start + length:,} of a buffer of {len(data):,} bytes"
            )
        return memoryview(data)[start : start + length]

    def _buffer(self, index: int) -> bytes | memoryview:
        if index not in self._buffers:
            buffer = self.entry("buffers", index)
            self._buffers[index] = self._uri_bytes(buffer["uri"]) if "uri" in buffer else self.binary
        return self._buffers[index]

    def _uri_bytes(self, uri: str) -> bytes:
        if uri.startswith("data:") and ";base64," in uri:
            return base64.b64decode(uri.split(";base64,", 1)[1])
        raise InputError(
            f"{self.path} refers to the external file {uri!r}; only self-contained .glb files "
            "can be read. Export it again with everything embedded."
        )

    def _accessor_columns(self) -> dict[str, np.ndarray]:
        if self._accessors is None:
            accessors = self._objects("accessors")
            kinds = [a.get("type") for a in accessors]
            widths = [TYPE_WIDTHS.get(k, 0) if isinstance(k, str) else 0 for k in kinds]
            if 0 in widths:
                bad = widths.index(0)
                raise Malformed(f"accessor {bad} has the unknown type {_shown(kinds[bad])}")
            components = whole_numbers(
                [a.get("componentType") for a in accessors], "the componentType of accessor"
            )
            unknown = ~np.isin(components, list(COMPONENT_DTYPES))
            if unknown.any():
                bad = int(np.argmax(unknown))
                raise Malformed(f"accessor {bad} has the unknown component type {int(components[bad])}")
            self._accessors = {
                "count": whole_numbers([a.get("count") for a in accessors], "the count of accessor"),
                "componentType": components,
                "bufferView": whole_numbers(
                    [a.get("bufferView") for a in accessors], "the bufferView of accessor", -1
                ),
                "byteOffset": whole_numbers(
                    [a.get("byteOffset") for a in accessors], "the byteOffset of accessor", 0
                ),
                "width": np.array(widths, dtype=np.int64),
                "normalized": np.array([a.get("normalized") is True for a in accessors], dtype=np.int64),
                "sparse": np.array(["sparse" in a for a in accessors], dtype=bool),
            }
        return self._accessors

    def _view_columns(self) -> dict[str, np.ndarray]:
        if self._views is None:
            views = self._objects("bufferViews")
            self._views = {
                "buffer": whole_numbers([v.get("buffer") for v in views], "the buffer of bufferView"),
                "byteOffset": whole_numbers(
                    [v.get("byteOffset") for v in views], "the byteOffset of bufferView", 0
                ),
                "byteLength": whole_numbers(
                    [v.get("byteLength") for v in views], "the byteLength of bufferView"
                ),
                "byteStride": whole_numbers(
                    [v.get("byteStride") for v in views], "the byteStride of bufferView", 0
                ),
            }
        return self._views

    def _objects(self, kind: str) -> list[dict[str, Any]]:
        items = self.entries(kind)
        bad = next((i for i, item in enumerate(items) if not isinstance(item, dict)), None)
        if bad is not None:
            raise Malformed(f"{kind} {bad} is not an object")
        return items


def _position(index: object, length: int, kind: str) -> int:
    """`index` as a position in a list of `length` entries."""
    if type(index) is int and 0 <= index < length:
        return index
    (position,) = whole_numbers([index], f"a reference into {kind}").tolist()
    if position >= length:
        raise Malformed(f"it refers to {kind} {position}, but has only {length}")
    return int(position)


def _copy_elements(
    buffer: bytes | memoryview,
    dtype: np.dtype,
    element_bytes: np.ndarray,
    rows: np.ndarray,
    out: np.ndarray,
    normalized: bool,
) -> None:
    """Copy the elements starting at `element_bytes` of `buffer` into `out[rows]`.

    Elements are read through a typed view of the buffer; glTF requires them aligned to their
    component size, and files that are not are read through a view shifted by each remainder.
    """
    size = dtype.itemsize
    residues = element_bytes % size if size > 1 else np.zeros(1, dtype=np.int64)
    for residue in np.unique(residues).tolist():
        chosen = slice(None) if residues.size == 1 or not residues.any() else residues == residue
        typed = np.frombuffer(buffer, dtype=dtype, count=(len(buffer) - residue) // size, offset=residue)
        items = (element_bytes[chosen] - residue) // size
        target = rows[chosen]
        for column in range(out.shape[1]):
            values = typed[items + column]
            if normalized and dtype.kind in "iu":
                out[target, column] = np.maximum(values / np.float32(np.iinfo(dtype).max), -1.0)
            else:
                out[target, column] = values

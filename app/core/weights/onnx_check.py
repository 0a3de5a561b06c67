"""What an ONNX model file may hold before onnxruntime sees it: one self-contained graph of standard
operators.

ONNX is protobuf, not pickle, so reading it runs no code; but a model file can still reach outside
itself: a tensor's data may live in another file named inside the model (external data, which
onnxruntime opens relative to the model), and a node may name an operator from a custom domain
(code in a separate library). Sweedle loads a cutout model from the bytes checked here, never
from the path, and refuses both, plus anything that is not a well-formed model: this walk reads
the protobuf wire format itself (no `onnx` package needed at run time) and skips weight data by
its length, so a 1 GB model is checked in well under a second.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass

ALLOWED_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml", "com.microsoft"})
"""Operator domains onnxruntime implements itself (com.microsoft: its built-in contrib operators)."""
MAX_BYTES = 2**31 - 1
"""protobuf's limit for one message: a bigger model must use external data, which is refused."""
MAX_NODES = 500_000
MAX_DEPTH = 8
"""Subgraphs (If / Loop / Scan bodies) nested deeper than this are refused."""

_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5
_MODEL_FIELDS = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 14, 25})
"""ir_version, producer, domain, version, doc, graph, opset_import, metadata, functions; training
information (20) and anything newer is refused."""
_EXTERNAL = 1


class OnnxProblem(ValueError):
    """Why the data is not a model Sweedle loads, in words that fit after the file's name."""


@dataclass(frozen=True)
class OnnxSummary:
    ir_version: int
    opsets: dict[str, int]
    nodes: int
    initializers: int


def check_onnx(data: bytes | memoryview | mmap.mmap) -> OnnxSummary:
    """Walk the whole model; raise OnnxProblem for external data, a custom operator or damage."""
    view = memoryview(data)
    if len(view) == 0:
        raise OnnxProblem("is empty")
    if len(view) > MAX_BYTES:
        raise OnnxProblem("is over 2 GB, which an ONNX file can only be with external data")
    walk = _Walk()
    ir_version = 0
    opsets: dict[str, int] = {}
    graphs: list[memoryview] = []
    functions: list[memoryview] = []
    for number, wire, value in _fields(view):
        if number not in _MODEL_FIELDS:
            raise OnnxProblem(f"has a model field ({number}) that inference models do not have")
        if number == 1 and wire == _VARINT:
            ir_version = int(value)  # type: ignore[arg-type]
        elif number == 8 and wire == _BYTES:
            domain, version = _opset(value)  # type: ignore[arg-type]
            opsets[domain] = version
        elif number == 7 and wire == _BYTES:
            graphs.append(value)  # type: ignore[arg-type]
        elif number == 25 and wire == _BYTES:
            functions.append(value)  # type: ignore[arg-type]
    if ir_version < 3:
        raise OnnxProblem("is not an ONNX model (no IR version 3 or later)")
    if len(graphs) != 1:
        raise OnnxProblem("is not an ONNX model (it must hold exactly one graph)")
    walk.local_domains = {_function_domain(f) for f in functions}
    for function in functions:
        walk.function(function)
    walk.graph(graphs[0], 0)
    for domain in opsets:
        walk.check_domain(domain, "")
    return OnnxSummary(ir_version, opsets, walk.nodes, walk.initializers)


class _Walk:
    def __init__(self) -> None:
        self.nodes = 0
        self.initializers = 0
        self.local_domains: set[str] = set()

    def check_domain(self, domain: str, op_type: str) -> None:
        if domain in ALLOWED_DOMAINS or domain in self.local_domains:
            return
        what = f"the operator {domain}::{op_type}" if op_type else f"operators from the domain {domain!r}"
        raise OnnxProblem(f"uses {what}, a custom operator onnxruntime does not have")

    def graph(self, data: memoryview, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise OnnxProblem(f"nests subgraphs deeper than {MAX_DEPTH} levels")
        for number, wire, value in _fields(data):
            if wire != _BYTES:
                continue
            if number == 1:
                self.node(value, depth)  # type: ignore[arg-type]
            elif number == 5:
                self.initializers += 1
                self.tensor(value)  # type: ignore[arg-type]
            elif number == 15:
                self.sparse(value)  # type: ignore[arg-type]

    def node(self, data: memoryview, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise OnnxProblem(f"has more than {MAX_NODES:,} operators, unlike any cutout model")
        domain, op_type = "", ""
        attributes = []
        for number, wire, value in _fields(data):
            if wire != _BYTES:
                continue
            if number == 4:
                op_type = _text(value)  # type: ignore[arg-type]
            elif number == 7:
                domain = _text(value)  # type: ignore[arg-type]
            elif number == 5:
                attributes.append(value)
        self.check_domain(domain, op_type)
        for attribute in attributes:
            self.attribute(attribute, depth)  # type: ignore[arg-type]

    def attribute(self, data: memoryview, depth: int) -> None:
        for number, wire, value in _fields(data):
            if wire != _BYTES:
                continue
            if number in (5, 10):
                self.tensor(value)  # type: ignore[arg-type]
            elif number in (6, 11):
                self.graph(value, depth + 1)  # type: ignore[arg-type]
            elif number in (22, 23):
                self.sparse(value)  # type: ignore[arg-type]

    def function(self, data: memoryview) -> None:
        for number, wire, value in _fields(data):
            if number == 7 and wire == _BYTES:
                self.node(value, 1)  # type: ignore[arg-type]
            elif number == 9 and wire == _BYTES:
                self.check_domain(_opset(value)[0], "")  # type: ignore[arg-type]

    def tensor(self, data: memoryview) -> None:
        name = ""
        for number, wire, value in _fields(data):
            if number == 8 and wire == _BYTES:
                name = _text(value)  # type: ignore[arg-type]
            elif (number == 13 and wire == _BYTES) or (number == 14 and value == _EXTERNAL):
                shown = repr(name[:60]) if name else "a tensor"
                raise OnnxProblem(
                    f"keeps the data of {shown} in another file (external data); Sweedle loads a "
                    "model only from its one .onnx file"
                )

    def sparse(self, data: memoryview) -> None:
        for number, wire, value in _fields(data):
            if number in (1, 2) and wire == _BYTES:
                self.tensor(value)  # type: ignore[arg-type]


def _fields(data: memoryview) -> Iterator[tuple[int, int, int | memoryview]]:
    """(field number, wire type, value) of one protobuf message; length-delimited values are views."""
    position, end = 0, len(data)
    while position < end:
        key, position = _varint(data, position)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise OnnxProblem("is damaged (a protobuf field numbered 0)")
        if wire == _VARINT:
            value, position = _varint(data, position)
            yield number, wire, value
        elif wire == _BYTES:
            length, position = _varint(data, position)
            if position + length > end:
                raise OnnxProblem("is truncated or damaged (a field runs past the end)")
            yield number, wire, data[position : position + length]
            position += length
        elif wire in (_FIXED64, _FIXED32):
            position += 8 if wire == _FIXED64 else 4
            if position > end:
                raise OnnxProblem("is truncated or damaged (a field runs past the end)")
            yield number, wire, 0
        else:
            raise OnnxProblem(f"is not an ONNX model (protobuf wire type {wire} where none belongs)")


def _varint(data: memoryview, position: int) -> tuple[int, int]:
    result, shift = 0, 0
    while True:
        if position >= len(data) or shift > 63:
            raise OnnxProblem("is truncated or damaged (a number runs past the end)")
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, position
        shift += 7


def _text(value: memoryview) -> str:
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise OnnxProblem("is damaged (a name is not UTF-8 text)") from None


def _opset(data: memoryview) -> tuple[str, int]:
    domain, version = "", 0
    for number, wire, value in _fields(data):
        if number == 1 and wire == _BYTES:
            domain = _text(value)  # type: ignore[arg-type]
        elif number == 2 and wire == _VARINT:
            version = int(value)  # type: ignore[arg-type]
    return domain, version


def _function_domain(data: memoryview) -> str:
    for number, wire, value in _fields(data):
        if number == 10 and wire == _BYTES:
            return _text(value)  # type: ignore[arg-type]
    return ""

"""Node and texture transforms of a glTF document, checked, and applied to many parts at once.

A file with 100k mesh parts (CAD exports) would spend minutes in one matrix product per part,
so the reader gathers the parts first and `transform_rows` places every row by the matrix of
its part in one vectorised pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.core.formats.gltf_accessors import Malformed


def local_matrix(node: dict[str, Any]) -> np.ndarray:
    """A node's 4×4 local transform (glTF stores matrices column-major, rotations as xyzw);
    whether it is finite is checked on the world matrices that place geometry."""
    if "matrix" in node:
        return np.array(node["matrix"], dtype=np.float64).reshape(4, 4).T
    matrix = np.eye(4)
    if "rotation" in node:
        x, y, z, w = np.array(node["rotation"], dtype=np.float64).reshape(4)
        matrix[:3, :3] = [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    if "scale" in node:
        matrix[:3, :3] *= np.array(node["scale"], dtype=np.float64).reshape(3)
    if "translation" in node:
        matrix[:3, 3] = np.array(node["translation"], dtype=np.float64).reshape(3)
    return matrix


def uv_matrix(transform: dict[str, Any]) -> np.ndarray:
    """KHR_texture_transform as a 3×3 matrix on (u, v, 1): translation · rotation · scale."""
    offset_u, offset_v = np.array(transform.get("offset", (0.0, 0.0)), dtype=np.float64).reshape(2)
    scale_u, scale_v = np.array(transform.get("scale", (1.0, 1.0)), dtype=np.float64).reshape(2)
    angle = float(transform.get("rotation", 0.0))
    cos, sin = np.cos(angle), np.sin(angle)
    translation = np.array([[1.0, 0.0, offset_u], [0.0, 1.0, offset_v], [0.0, 0.0, 1.0]])
    rotation = np.array([[cos, sin, 0.0], [-sin, cos, 0.0], [0.0, 0.0, 1.0]])
    matrix = translation @ rotation @ np.diag([scale_u, scale_v, 1.0])
    if not np.isfinite(matrix).all():
        raise Malformed("its texture transform is not a finite number")
    return matrix


def transform_rows(rows: np.ndarray, matrices: np.ndarray, which: np.ndarray) -> np.ndarray:
    """`rows[k] @ matrices[which[k]].T` for every row k, in float64.

    `matrices` is (K, 3, 3), optionally (K, 3, 4) with a translation column. One matrix is one
    product; several are applied column by column with gathered coefficients, which needs a few
    row-length temporaries rather than a 3×3 matrix per row.
    """
    rows = rows.astype(np.float64, copy=False)
    if len(matrices) == 1:
        out = rows @ matrices[0, :, :3].T
        return out + matrices[0, :, 3] if matrices.shape[2] == 4 else out
    out = np.empty((len(rows), 3), dtype=np.float64)
    for i in range(3):
        column = matrices[which, i, 0] * rows[:, 0]
        column += matrices[which, i, 1] * rows[:, 1]
        column += matrices[which, i, 2] * rows[:, 2]
        if matrices.shape[2] == 4:
            column += matrices[which, i, 3]
        out[:, i] = column
    return out

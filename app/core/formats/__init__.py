"""Asset files in and out (GLB, OBJ, PNG), written atomically so a crash never leaves half a file.

Qt-free like the rest of `app.core`; the mesh model they read and write is `app.core.mesh.types`.
"""

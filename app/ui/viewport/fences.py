"""GL fences: knowing that a submitted frame is finished without waiting for it.

`swapBuffers` waits until the frame it shows is rasterized. On a software rasterizer (llvmpipe)
that is most of a frame, 50-150 ms at 1000×700 with 4x MSAA, and all of it a stall of the GUI
thread. A fence after the frame's commands, flushed so the rasterizer starts at once and polled
without waiting, lets the event loop run while the rasterizer's threads work; the swap then only
resolves and copies a finished image. On a hardware GPU the fence is done by the first poll.
"""

from __future__ import annotations

from OpenGL import GL

Fence = object
"""A GLsync handle, as PyOpenGL returns it."""


def submit_frame() -> Fence:
    """Fence the commands issued so far on the current context and start their execution."""
    fence = GL.glFenceSync(GL.GL_SYNC_GPU_COMMANDS_COMPLETE, 0)
    GL.glFlush()
    return fence


def finished(fence: Fence) -> bool:
    """Whether everything before `fence` has executed (does not wait; a context of its share
    group must be current)."""
    status = GL.glClientWaitSync(fence, 0, 0)
    return status in (GL.GL_ALREADY_SIGNALED, GL.GL_CONDITION_SATISFIED, GL.GL_WAIT_FAILED)


def release(fence: Fence) -> None:
    GL.glDeleteSync(fence)

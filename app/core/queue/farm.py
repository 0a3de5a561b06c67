"""The render farm: a Ray cluster of machines with Sweedle installed, reached by address and token.

Ray is optional (the `farm` extra); without it `availability()` says so and everything else runs
on this machine. Ray's token authentication is always on here: every Ray process Sweedle starts or
connects gets `RAY_AUTH_MODE=token` and the farm's token, so a machine without the token can
neither join the cluster nor submit work to it. Anyone WITH the token can run code on every
machine of the farm (that is what a Ray cluster is): keep it secret and the farm on a private
network.

Topology: the head runs on the artist's machine (`sweedle farm head`), where the window or
`sweedle queue run --farm ADDRESS` connects as Ray's driver; each GPU machine joins with
`sweedle farm worker --address HEAD:PORT`, declaring one `sweedle_worker` slot per GPU and its
VRAM as the custom resource `vram_gb`.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import secrets
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from app.core.base.atomic import atomic_write_bytes
from app.core.base.errors import SweedleError
from app.core.generation.engines.base import Availability
from app.core.paths import config_dir
from app.core.queue.gpu import probe_gpus
from app.core.settings import load_section, save_section, setting

log = logging.getLogger(__name__)

SECTION = "farm"
WORKER_RESOURCE = "sweedle_worker"
"""Custom Ray resource: one unit per worker slot (one GPU, or one CPU worker) a machine offers."""
VRAM_RESOURCE = "vram_gb"
"""Custom Ray resource: GB of GPU memory a machine offers; each GPU actor asks for its GPU's."""
DEFAULT_PORT = 6379
LOOPBACK = ("127.0.0.1", "localhost")
PROBE_TIMEOUT_S = 3.0
TOKEN_ENV = "SWEEDLE_FARM_TOKEN"
_ADDRESS = re.compile(r"^[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_\-.]{16,256}$")


class FarmError(SweedleError):
    """The farm cannot be used as asked (Ray missing, head unreachable, token refused...)."""


@dataclass
class FarmSettings:
    """Which executor runs the queue, and the farm's address. The token lives in its own file
    (`token_path()`, readable by this user only), never in the settings file."""

    executor: str = setting("local", choices=("local", "ray"))
    address: str = setting("", max_length=300, check=lambda v: v == "" or bool(_ADDRESS.match(v)))
    max_attempts: int = setting(3, minimum=1, maximum=20)


def load_settings() -> FarmSettings:
    return load_section(SECTION, FarmSettings)


def save_settings(value: FarmSettings) -> None:
    save_section(SECTION, value)


def availability() -> Availability:
    """Whether this install can use a farm: Ray must be installed (without importing it)."""
    if importlib.util.find_spec("ray") is None:
        return Availability(False, "Ray is not installed: pip install 'sweedle[farm]' on this machine")
    return Availability(True)


def check_address(address: str) -> tuple[str, int]:
    """`HOST:PORT` as (host, port); FarmError naming the problem otherwise."""
    text = address.strip()
    if not _ADDRESS.match(text):
        raise FarmError(
            f"farm address {address!r} is not HOST:PORT (for example 192.168.1.20:{DEFAULT_PORT})"
        )
    host, _, port = text.rpartition(":")
    number = int(port)
    if not 0 < number < 65536:
        raise FarmError(f"farm address {address!r} has port {port}; use 1 to 65535")
    return host.strip("[]"), number


def token_path() -> Path:
    return config_dir() / "farm_token"


def check_token(token: str) -> str:
    token = token.strip()
    if not _TOKEN.match(token):
        raise FarmError(
            "the farm token must be 16 to 256 letters, digits, '-', '_' or '.' "
            "(the one `sweedle farm head` printed, or `ray get-auth-token` on the head)"
        )
    return token


def save_token(token: str) -> Path:
    """Keep the farm token for this user only (mode 0600, written then renamed)."""
    token = check_token(token)
    path = token_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, token.encode("ascii"), permissions=0o600)
    return path


def find_token(given: str | None = None, token_file: Path | None = None) -> str | None:
    """The token to use: given on the command line, from a file, from SWEEDLE_FARM_TOKEN, or the
    one saved for this user; None leaves Ray to find its own (RAY_AUTH_TOKEN, ~/.ray/auth_token)."""
    if given:
        return check_token(given)
    if token_file is not None:
        try:
            return check_token(token_file.read_text(encoding="ascii", errors="replace")[:1024])
        except OSError as exc:
            raise FarmError(f"cannot read the farm token file {token_file}: {exc.strerror or exc}") from exc
    if os.environ.get(TOKEN_ENV):
        return check_token(os.environ[TOKEN_ENV])
    try:
        return check_token(token_path().read_text(encoding="ascii", errors="replace")[:1024])
    except (OSError, FarmError):
        return None


def new_token() -> str:
    return secrets.token_hex(32)


def ray_env(token: str | None, loopback: bool = False) -> dict[str, str]:
    """Environment for Ray in this process or a child: token auth on, the token when we have
    one, and with `loopback` every Ray server bound to 127.0.0.1 only (Ray's local-only mode)."""
    env = {"RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}
    if token:
        env["RAY_AUTH_TOKEN"] = token
    if loopback:
        env["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    return env


def connect(address: str, token: str | None) -> None:
    """Join the farm at `address` as Ray's driver, or raise FarmError with the reason on one line:
    Ray missing, nothing listening there, or the token refused."""
    ok = availability()
    if not ok.ok:
        raise FarmError(ok.reason)
    host, port = check_address(address)
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S):
            pass
    except OSError as exc:
        raise FarmError(
            f"no Ray head answers at {address} ({exc.strerror or exc}): start it with `sweedle farm head` "
            "on that machine, or check the address"
        ) from None
    os.environ.update(ray_env(token, loopback=host in LOOPBACK))
    import ray

    if ray.is_initialized():
        ray.shutdown()
    _check_token_accepted(address)
    try:
        ray.init(
            address=address.strip(),
            namespace="sweedle",
            logging_level=logging.WARNING,
            log_to_driver=False,
        )
    except (ConnectionError, RuntimeError) as exc:
        raise FarmError(f"could not join the farm at {address}: {exc}") from None


def _check_token_accepted(address: str) -> None:
    """Ask the head once whether it accepts our token: Ray itself retries a refused token for
    about 20 s and then reports only "failed to connect"."""
    import ray.exceptions

    try:
        from ray._raylet import AuthenticationTokenLoader, GcsClient  # private, but the only way to ask
    except ImportError:
        return
    AuthenticationTokenLoader.instance().reset_cache()
    try:
        GcsClient(address=address.strip()).cluster_id  # noqa: B018 - the call is the check
    except ray.exceptions.AuthenticationError:
        raise FarmError(
            f"the farm at {address} refused this machine's token: use the token the head printed "
            f"(`sweedle farm token --set TOKEN`, or {TOKEN_ENV})"
        ) from None
    except ray.exceptions.RayError as exc:
        raise FarmError(f"the farm at {address} did not answer as a Ray head: {exc}") from None


def disconnect() -> None:
    if "ray" in sys.modules:
        import ray

        if ray.is_initialized():
            ray.shutdown()


@dataclass(frozen=True)
class NodeStart:
    """A `ray start` command line for a head or a worker machine, and the environment it needs."""

    argv: list[str]
    env: dict[str, str]
    slots: int
    vram_gb: int
    gpus: int

    def describe(self) -> str:
        kind = (
            f"{self.gpus} GPU worker(s), {self.vram_gb} GB VRAM"
            if self.gpus
            else f"{self.slots} CPU worker(s)"
        )
        return kind


def node_start(
    head: bool,
    token: str,
    address: str | None = None,
    port: int = DEFAULT_PORT,
    bind: str | None = None,
    cpu_workers: int = 0,
    temp_dir: Path | None = None,
) -> NodeStart:
    """The `ray start --block` command that makes this machine a head or a worker of the farm.

    A GPU machine offers one worker slot per GPU (`num_gpus`, `sweedle_worker`, `vram_gb`);
    `cpu_workers` adds slots that run on the CPU (tests, or a machine without a GPU). `bind`
    127.0.0.1 keeps every Ray server on the loopback interface (a farm of one machine)."""
    gpus = [] if os.environ.get("CUDA_VISIBLE_DEVICES") == "" else probe_gpus()
    slots = len(gpus) + cpu_workers
    if not head and slots == 0:
        raise FarmError(
            "this machine has no NVIDIA GPU the driver reports: add --cpu-workers N to run farm jobs "
            "on its CPU (slow), or install the NVIDIA driver"
        )
    vram = sum(int(g.total_gb) for g in gpus)
    resources: dict[str, int] = {}
    if slots:
        resources[WORKER_RESOURCE] = slots
    if vram:
        resources[VRAM_RESOURCE] = vram
    argv = [sys.executable, "-m", "ray.scripts.scripts", "start", "--block", "--disable-usage-stats"]
    if head:
        argv += ["--head", f"--port={port}", "--include-dashboard=false"]
    else:
        assert address is not None
        check_address(address)
        argv.append(f"--address={address}")
    argv += [f"--num-gpus={len(gpus)}", f"--num-cpus={max(cpu_workers + len(gpus), 1)}"]
    if resources:
        argv.append(f"--resources={json.dumps(resources)}")
    if bind:
        argv.append(f"--node-ip-address={bind}")
    if temp_dir is not None:
        argv.append(f"--temp-dir={temp_dir}")
    loopback = bind in LOOPBACK
    return NodeStart(argv, ray_env(check_token(token), loopback=loopback), slots, vram, len(gpus))

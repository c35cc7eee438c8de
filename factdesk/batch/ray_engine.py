"""Batch checking on Ray Data (``--engine ray``; the ``ray`` extra, imported only here and only when used).

The claims to check become a dataset of one-claim blocks, mapped by a pool of actors (``ClaimChecker``): each
actor builds one FactDesk on the store, read-only, and warms it up once, then checks the claims it is handed.
The driver consumes the results in input order as they are ready; ``run_batch`` saves each check in the store and
appends its line to the output, so only the driver writes (a SQLite store is one writer's file; a PostgreSQL store
is read by the workers over their own connections). An actor that dies, say with its node, is restarted by Ray
and its claims are checked again; lines reach the output only through the driver, each once.

With no address a local Ray starts (one CPU per core of this machine) and stops at the end; with one, the driver
connects to that cluster, whose nodes must have this factdesk installed and see the store at the same location.
The driver's ``FACTDESK_*`` variables (the misinformation list, the LLM key) are set in each actor, and each
actor's model threads are the CPUs it holds, so a check comes out the same on a worker as in one process.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from factdesk.batch.run import Outcome
from factdesk.config import Config
from factdesk.errors import FactdeskError
from factdesk.onnx_model import cpu_cores
from factdesk.pipeline import FactDesk
from factdesk.records import Claim
from factdesk.store import is_url

RAY_MISSING = "--engine ray needs ray (the `ray` extra): pip install -e '.[ray]'"
log = logging.getLogger("factdesk")


def import_ray() -> Any:
    """The ``ray`` module, with Ray Data; one line naming the extra when it is not installed."""
    try:
        import ray
        import ray.data  # Ray Data, which the extra installs with ray
    except ImportError as exc:
        raise FactdeskError(RAY_MISSING) from exc
    return ray


class ClaimChecker:
    """A Ray Data callable class: one per actor. Builds and warms up the desk once; each call checks a batch of
    claims (pickled ``Claim``) and returns each one's pickled ``FactCheck``, or the error that stopped it. A desk
    that cannot be built (a model that cannot load, a store it cannot open) is an error for the whole batch,
    ``fatal``, sent back as data so that the driver stops with its message, as one process would."""

    def __init__(self, location: str, config: Config, cutoff: date | None, threads: int, env: dict[str, str]) -> None:
        os.environ.update(env)
        os.environ["OMP_NUM_THREADS"] = str(threads)  # read by cpu_cores() as the models load
        self.cutoff = cutoff
        self.desk: FactDesk | None = None
        self.fatal = ""
        try:
            desk = FactDesk(location, config, read_only=True)
            desk.warm_up()
        except FactdeskError as exc:
            self.fatal = str(exc)
        else:
            self.desk = desk

    def __call__(self, batch: Any) -> dict[str, list[Any]]:
        claims = batch.column("claim").to_pylist()
        checks: list[bytes] = []
        errors: list[str] = []
        for blob in claims:
            try:
                if self.desk is None:
                    raise FactdeskError(self.fatal)
                check = self.desk.check(pickle.loads(blob), as_of=self.cutoff, save=False)
            except FactdeskError as exc:  # e.g. the --llm endpoint failed on this claim; a rerun retries it
                checks.append(b"")
                errors.append(str(exc))
            else:
                checks.append(pickle.dumps(check))
                errors.append("")
        return {"claim": claims, "check": checks, "error": errors, "fatal": [self.desk is None] * len(claims)}


class RayEngine:
    """Checks on Ray workers (see the module's doc). ``location`` is the store's, as the workers open it;
    ``workers`` is the pool's size (default: one per CPU of the cluster), each worker holding an equal share of the
    CPUs (at least one) for its model threads."""

    def __init__(
        self,
        desk: FactDesk,
        location: str | Path,
        cutoff: date | None,
        address: str | None = None,
        workers: int | None = None,
    ) -> None:
        self.desk = desk
        self.location = str(location) if is_url(location) else str(Path(location).resolve())
        self.cutoff = cutoff
        self.address = address
        self.workers = workers

    def run(self, claims: Sequence[Claim]) -> Iterator[list[Outcome]]:
        if not claims:
            return
        ray = import_ray()
        if not self.desk.store.read_only:
            self.desk.index()  # the workers read the indexes as they are, and cannot bring them up to date
        started = self._connect(ray)
        try:
            yield from self._map(ray, claims)
        except ray.exceptions.RayError as exc:
            raise FactdeskError(f"the Ray batch failed: {_first_line(exc)}") from exc
        finally:
            if started:
                ray.shutdown()

    def _connect(self, ray: Any) -> bool:
        """Connects to ``address``, or starts a local Ray; returns whether this run started it (and so stops it).
        A Ray already initialised in this process (a library caller's) is used as it is."""
        if ray.is_initialized():
            return False
        quiet = {"include_dashboard": False, "logging_level": logging.WARNING}
        if self.address:
            _probe(self.address)  # Ray itself would retry an unreachable address for minutes
            try:
                ray.init(address=self.address, **quiet)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise FactdeskError(f"cannot connect to the Ray cluster at {self.address}: {exc}") from exc
        else:
            ray.init(address="local", num_cpus=max(cpu_cores(), self.workers or 0), **quiet)
        return True

    def _map(self, ray: Any, claims: Sequence[Claim]) -> Iterator[list[Outcome]]:
        workers, threads = pool_size(_node_cpus(ray), self.workers)
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # the output's lines in input order, as with one process
        context.enable_progress_bars = False  # run_batch shows one
        context.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)  # no line per dataset run
        env = {key: value for key, value in os.environ.items() if key.startswith("FACTDESK_")}
        dataset = ray.data.from_items([{"claim": pickle.dumps(c)} for c in claims], override_num_blocks=len(claims))
        checked = dataset.map_batches(
            ClaimChecker,
            batch_size=1,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=workers),  # spread over the nodes, Ray Data's default
            num_cpus=threads,
            fn_constructor_kwargs={
                "location": self.location,
                "config": self.desk.config,
                "cutoff": self.cutoff,
                "threads": threads,
                "env": env,
            },
        )
        for batch in checked.iter_batches(batch_size=None, batch_format="pyarrow"):
            rows = batch.to_pylist()
            if any(row["fatal"] for row in rows):
                raise FactdeskError(rows[0]["error"])
            yield [
                Outcome(pickle.loads(r["claim"]), pickle.loads(r["check"]) if r["check"] else None, r["error"])
                for r in rows
            ]


def pool_size(node_cpus: Sequence[int], workers: int | None) -> tuple[int, int]:
    """The pool's size and each worker's CPUs: an equal share of the cluster's, no more than its largest node
    has, and at least one."""
    total = sum(node_cpus)
    workers = workers or max(1, total)
    return workers, max(1, min(max(node_cpus, default=1), total // workers))


def _probe(address: str, timeout: float = 10.0) -> None:
    """Fails at once, naming ``address``, when a HOST:PORT address (the head's GCS) does not accept connections."""
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return  # "auto", or a ray:// client address: Ray resolves those
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise FactdeskError(f"cannot connect to the Ray cluster at {address}: {exc.strerror or exc}") from exc


def _node_cpus(ray: Any) -> list[int]:
    return [int(node["Resources"].get("CPU", 0)) for node in ray.nodes() if node["Alive"]]


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__

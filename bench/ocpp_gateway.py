"""Benchmark OCPP 1.6 central systems: the transport floor, the stock `ocpp` library, and ours.

The server runs pinned to CPU 0, the load clients to CPU 1, so the figures are "one server core".
Load clients are raw websockets + preformatted JSON (not the simulator) so they stay cheap; the
table shows client CPU too: if the client core is near 100% while the server core is not, the
figure is a client limit, not a server one.

  python bench/ocpp_gateway.py --servers floor,stock --scenario heartbeat,metervalues --duration 10
  python bench/ocpp_gateway.py --servers ladeportal --scenario idle --idle 10000
  python bench/ocpp_gateway.py --servers floor,stock,ladeportal --scenario storm --storm 2000 --json
"""

from __future__ import annotations

import argparse
import array
import asyncio
import contextlib
import json
import os
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SERVER_CPU, CLIENT_CPU = 0, 1
# One credential for every bench id, 20 characters (the 1.6 whitepaper's limit); the harness
# makes it and hands it to its client processes through the environment, never argv.
PASSWORD = os.environ.setdefault("BENCH_OCPP_PASSWORD", secrets.token_hex(10))
CLK_TCK = os.sysconf("SC_CLK_TCK")
SCENARIOS = ("heartbeat", "metervalues", "idle", "storm")


def meter_values_payload(transaction_id: int) -> dict[str, Any]:
    """9 sampled values: energy, power, 3x current, 3x voltage, SoC, as a real AC charger sends."""

    def sample(value: str, measurand: str, unit: str, phase: str | None = None) -> dict[str, str]:
        out = {
            "value": value,
            "context": "Sample.Periodic",
            "format": "Raw",
            "measurand": measurand,
            "location": "Outlet",
            "unit": unit,
        }
        if phase:
            out["phase"] = phase
        return out

    values = [
        sample("123456", "Energy.Active.Import.Register", "Wh"),
        sample("11040.0", "Power.Active.Import", "W"),
        *(sample("16.0", "Current.Import", "A", p) for p in ("L1", "L2", "L3")),
        *(sample("230.0", "Voltage", "V", f"{p}-N") for p in ("L1", "L2", "L3")),
        {**sample("42.0", "SoC", "Percent"), "location": "EV"},
    ]
    return {
        "connectorId": 1,
        "transactionId": transaction_id,
        "meterValue": [{"timestamp": "2025-03-01T10:00:00.000Z", "sampledValue": values}],
    }


BOOT = {"chargePointVendor": "Bench", "chargePointModel": "Load", "firmwareVersion": "1"}


def status(connector: int) -> dict[str, Any]:
    return {
        "connectorId": connector,
        "errorCode": "NoError",
        "status": "Available",
        "timestamp": "2025-03-01T10:00:00.000Z",
    }


# === load client (runs in its own process, pinned to CLIENT_CPU) =================================


@dataclass
class ClientResult:
    messages: int = 0
    errors: int = 0
    lost: int = 0
    connected: int = 0
    elapsed: float = 0.0
    cpu_seconds: float = 0.0
    latencies_file: str = ""
    error_samples: list[str] = field(default_factory=list)


class Client:
    def __init__(self, url: str, ids: list[str], scenario: str, duration: float, out: str) -> None:
        self.url, self.ids, self.scenario, self.duration, self.out = url, ids, scenario, duration, out
        self.result = ClientResult(latencies_file=out)
        self.latencies = array.array("d")

    def _error(self, exc: BaseException | str) -> None:
        self.result.errors += 1
        if len(self.result.error_samples) < 5:
            self.result.error_samples.append(repr(exc)[:200])

    async def _open(self, cp_id: str) -> Any:
        import base64

        from websockets.asyncio.client import connect
        from websockets.typing import Subprotocol

        token = base64.b64encode(f"{cp_id}:{PASSWORD}".encode()).decode()
        return await connect(
            f"{self.url}/{cp_id}",
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers={"Authorization": f"Basic {token}"},
            compression=None,
            ping_interval=None,
            proxy=None,
            open_timeout=60,
        )

    async def _call(self, ws: Any, message_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        await ws.send(json.dumps([2, message_id, action, payload]))
        try:
            async with asyncio.timeout(30):  # no reply in 30 s: counted as a lost message
                reply = json.loads(await ws.recv())
        except TimeoutError:
            self.result.lost += 1
            raise
        if reply[0] != 3 or reply[1] != message_id:
            raise RuntimeError(f"{action}: unexpected reply {reply!r}"[:200])
        return reply[2]  # type: ignore[no-any-return]

    async def setup(self, cp_id: str) -> tuple[Any, str]:
        """Connect and boot; for metervalues also start a transaction. Returns the hot frame body."""
        ws = await self._open(cp_id)
        await self._call(ws, "b", "BootNotification", BOOT)
        if self.scenario == "metervalues":
            start = await self._call(
                ws,
                "s",
                "StartTransaction",
                {"connectorId": 1, "idTag": "BENCHTAG", "meterStart": 0, "timestamp": "2025-03-01T10:00:00.000Z"},
            )
            body = json.dumps(["MeterValues", meter_values_payload(int(start.get("transactionId", 1)))])
        else:
            body = '["Heartbeat", {}]'
        self.result.connected += 1
        # The frame is preformatted: only the message id changes, so the client stays cheap.
        return ws, body[1:]

    async def loop(self, ws: Any, body: str, deadline: float) -> None:
        clock = time.perf_counter
        latencies = self.latencies
        n = 0
        try:
            while clock() < deadline:
                n += 1
                message_id = f'"m{n}"'
                started = clock()
                await ws.send(f"[2,{message_id},{body}")
                reply = await ws.recv()
                latencies.append(clock() - started)
                # Cheap check: a CALLRESULT for this id (json.dumps puts it in the first bytes).
                head = reply[:40]
                if not (head.startswith("[3") and message_id in head):
                    self._error(f"bad reply {head}")
        except Exception as exc:
            self._error(exc)

    async def storm(self, cp_id: str, conns: list[Any]) -> None:
        try:
            ws = await self._open(cp_id)
            conns.append(ws)
            await self._call(ws, "1", "BootNotification", BOOT)
            await self._call(ws, "2", "StatusNotification", status(0))
            await self._call(ws, "3", "StatusNotification", status(1))
            self.result.messages += 3
            self.result.connected += 1
        except Exception as exc:
            self._error(exc)

    async def run(self) -> None:
        ready = asyncio.Semaphore(200)  # bounded handshakes in flight while setting up

        async def setup(cp_id: str) -> tuple[Any, str] | None:
            async with ready:
                try:
                    return await self.setup(cp_id)
                except Exception as exc:
                    self._error(exc)
                    return None

        go = asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        if self.scenario == "storm":
            print("ready", flush=True)
            await go
            conns: list[Any] = []
            started = time.perf_counter()
            await asyncio.gather(*(self.storm(cp_id, conns) for cp_id in self.ids))
            self.result.elapsed = time.perf_counter() - started
            await asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True)
            return
        sessions = [s for s in await asyncio.gather(*(setup(i) for i in self.ids)) if s is not None]
        print("ready", flush=True)
        await go
        if self.scenario != "idle":
            started = time.perf_counter()
            deadline = started + self.duration
            await asyncio.gather(*(self.loop(ws, body, deadline) for ws, body in sessions))
            self.result.elapsed = time.perf_counter() - started
            self.result.messages = len(self.latencies)
        await asyncio.gather(*(ws.close() for ws, _ in sessions), return_exceptions=True)


def client_main(args: argparse.Namespace) -> None:
    with contextlib.suppress(ImportError):
        import uvloop  # a cheaper event loop keeps the client off the critical path

        uvloop.install()
    ids = [f"BENCH-{n:05d}" for n in range(args.first, args.first + args.count)]
    client = Client(args.url, ids, args.scenario, args.duration, args.out)
    cpu_before = time.process_time()
    asyncio.run(client.run())
    client.result.cpu_seconds = time.process_time() - cpu_before
    with open(args.out, "wb") as fh:
        client.latencies.tofile(fh)
    print(json.dumps(asdict(client.result)), flush=True)


# === harness ======================================================================================


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def pin(cpu: int) -> Any:
    def preexec() -> None:
        # Fewer cores than the layout needs: run unpinned rather than not at all.
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {cpu})

    return preexec


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def cpu_seconds(pid: int) -> float:
    total = 0
    for p in process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLK_TCK


def database_cpu_seconds(database: str | None) -> float:
    """CPU of the PostgreSQL backends serving `database` (their titles name it): the server's
    database work that the gateway process's own CPU does not show. 0 for SQLite (in-process)."""
    if not database:
        return 0.0
    total = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                title = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if title.startswith("postgres:") and f" {database} " in f"{title} ":
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                    total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def rss_bytes(pid: int) -> int:
    total = 0
    for p in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def provision_ladeportal(database_url: str, ids: list[str], password: str) -> bool:
    """The gateway author's hook; imported lazily so floor/stock need nothing of ours."""
    try:
        from ladeportal import bench_support  # type: ignore[attr-defined]
    except ImportError as exc:
        print(f"skipping ladeportal: ladeportal.bench_support not available ({exc})", file=sys.stderr)
        return False
    result = bench_support.provision(database_url, ids, password)
    if asyncio.iscoroutine(result):
        asyncio.run(result)
    return True


def _pg_admin(url: str, statement: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)

    async def run() -> None:
        conn = await asyncpg.connect(
            host=parsed.host or "127.0.0.1",
            port=parsed.port or 5432,
            user=parsed.username or "postgres",
            password=parsed.password,
            database="postgres",
        )
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


def fresh_pg_database(base_url: str) -> str:
    """A new, empty database beside the one `base_url` names (fresh per server, like the SQLite file:
    the bench ids are unique per database and figures must not depend on earlier runs)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(base_url)
    name = f"{parsed.database or 'ladeportal'}_bench_{os.getpid()}_{secrets.token_hex(3)}"
    _pg_admin(base_url, f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    _pg_admin(url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


LADEPORTAL_KINDS = ("ladeportal", "ladeportal-pg", "ladeportal-serve", "ladeportal-uvloop")
# `ladeportal gateway` on uvloop (as uvicorn runs `serve`): what switching the gateway's loop would give.
_UVLOOP_GATEWAY = (
    "import asyncio, uvloop; asyncio.set_event_loop_policy(uvloop.EventLoopPolicy()); "
    "from ladeportal.cli.main import app; app()"
)


class Server:
    def __init__(
        self, kind: str, ids: list[str], database_url: str | None, workdir: Path, pg_url: str | None = None
    ) -> None:
        self.kind, self.port = kind, free_port()
        self.url = f"ws://127.0.0.1:{self.port}/ocpp"
        self.pg_database: str | None = None
        env = dict(os.environ)
        if kind in LADEPORTAL_KINDS:
            if kind == "ladeportal-pg":
                if not pg_url:
                    raise LookupError("ladeportal-pg needs --pg-url")
                database_url = pg_url
            if database_url and database_url.startswith("postgresql"):
                database_url = self.pg_database = fresh_pg_database(database_url)
            database_url = database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
            if not provision_ladeportal(database_url, ids, PASSWORD):
                if self.pg_database:
                    drop_pg_database(self.pg_database)
                raise LookupError("ladeportal unavailable")
            env["LADEPORTAL_DATABASE_URL"] = database_url
            # `gateway`: plain websockets (the scale-out path); `serve`: the whole app under uvicorn,
            # the gateway on its Starlette WebSocket route (what `make run` starts).
            program = "serve" if kind == "ladeportal-serve" else "gateway"
            launcher = (
                [sys.executable, "-c", _UVLOOP_GATEWAY]
                if kind == "ladeportal-uvloop"
                else [str(Path(sys.executable).parent / "ladeportal")]
            )
            command = [*launcher, program, "--host", "127.0.0.1", "--port", str(self.port)]
        else:
            command = [sys.executable, str(HERE / "ocpp_refs.py"), kind, "--port", str(self.port)]
        self.log = (workdir / f"{kind}.log").open("w")
        self.process = subprocess.Popen(
            command, env=env, preexec_fn=pin(SERVER_CPU), stdout=self.log, stderr=subprocess.STDOUT
        )
        self._wait_listening()

    def _wait_listening(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.process.returncode}; see {self.log.name}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                time.sleep(0.3)  # accepting; give the app a moment past the bind
                return
            time.sleep(0.1)
        raise TimeoutError(f"{self.kind} did not listen on {self.port}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        if self.pg_database:
            drop_pg_database(self.pg_database)


def start_clients(
    url: str, scenario: str, total: int, processes: int, duration: float, workdir: Path
) -> list[tuple[subprocess.Popen[str], str]]:
    clients = []
    per = -(-total // processes)
    for n in range(processes):
        first, count = n * per, min(per, total - n * per)
        if count <= 0:
            break
        out = str(workdir / f"lat-{scenario}-{n}.bin")
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "_client",
            "--url",
            url,
            "--scenario",
            scenario,
            "--first",
            str(first),
            "--count",
            str(count),
            "--duration",
            str(duration),
            "--out",
            out,
        ]
        proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=pin(CLIENT_CPU)
        )
        clients.append((proc, out))
    for proc, _ in clients:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"client failed to start: {line!r}")
    return clients


def finish_clients(clients: list[tuple[subprocess.Popen[str], str]]) -> list[ClientResult]:
    results = []
    for proc, _ in clients:
        out, _err = proc.communicate(timeout=600)
        results.append(ClientResult(**json.loads(out.strip().splitlines()[-1])))
    return results


def go(clients: list[tuple[subprocess.Popen[str], str]]) -> None:
    for proc, _ in clients:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()


def percentile(sorted_values: array.array[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def run_scenario(server: Server, scenario: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    pid = server.process.pid
    row: dict[str, Any] = {"server": server.kind, "scenario": scenario}
    if scenario in ("heartbeat", "metervalues"):
        clients = start_clients(server.url, scenario, args.connections, args.clients, args.duration, workdir)
        database = server.pg_database.rsplit("/", 1)[-1].split("?")[0] if server.pg_database else None
        cpu0, db0, t0 = cpu_seconds(pid), database_cpu_seconds(database), time.perf_counter()
        go(clients)
        # Read the server's CPU at the end of the load window, before the clients disconnect.
        time.sleep(args.duration)
        server_cpu, wall = cpu_seconds(pid) - cpu0, time.perf_counter() - t0
        db_cpu = database_cpu_seconds(database) - db0
        results = finish_clients(clients)
        client_wall = time.perf_counter() - t0
        latencies = array.array("d")
        for _, out in clients:
            with open(out, "rb") as fh:
                latencies.frombytes(fh.read())
        latencies = array.array("d", sorted(latencies))
        elapsed = max(r.elapsed for r in results)
        row.update(
            connections=args.connections,
            messages=len(latencies),
            msgs_per_s=round(len(latencies) / elapsed) if elapsed else 0,
            p50_ms=round(percentile(latencies, 0.50) * 1000, 2),
            p99_ms=round(percentile(latencies, 0.99) * 1000, 2),
            server_cpu_s=round(server_cpu, 2),
            server_core=round(server_cpu / wall, 2),
            # CPU per message is the figure that survives a busy machine; msgs/s does not.
            us_per_msg=round(server_cpu / len(latencies) * 1e6, 1) if latencies else None,
            per_core_msgs_s=round(len(latencies) / server_cpu) if server_cpu else None,
            client_core=round(sum(r.cpu_seconds for r in results) / client_wall, 2),
            errors=sum(r.errors for r in results),
            lost=sum(r.lost for r in results),
        )
        if database:
            row["db_us_per_msg"] = round(db_cpu / len(latencies) * 1e6, 1) if latencies else None
    elif scenario == "idle":
        baseline = rss_bytes(pid)
        clients = start_clients(server.url, scenario, args.idle, 1, 0, workdir)
        time.sleep(2.0)  # let the server settle after the handshakes
        loaded = rss_bytes(pid)
        cpu0 = cpu_seconds(pid)
        time.sleep(5.0)
        idle_cpu = cpu_seconds(pid) - cpu0
        go(clients)
        results = finish_clients(clients)
        connected = sum(r.connected for r in results)
        row.update(
            connections=connected,
            rss_mb=round(loaded / 2**20, 1),
            kb_per_conn=round((loaded - baseline) / max(1, connected) / 1024, 1),
            idle_cpu_per_s=round(idle_cpu / 5.0, 3),
            errors=sum(r.errors for r in results),
        )
    elif scenario == "storm":
        clients = start_clients(server.url, scenario, args.storm, 1, 0, workdir)
        cpu0 = cpu_seconds(pid)
        go(clients)
        results = finish_clients(clients)
        row.update(
            connections=sum(r.connected for r in results),
            total_s=round(max(r.elapsed for r in results), 2),
            messages=sum(r.messages for r in results),
            server_cpu_s=round(cpu_seconds(pid) - cpu0, 2),
            errors=sum(r.errors for r in results),
            lost=sum(r.lost for r in results),
        )
    samples = [s for r in results for s in r.error_samples]
    if samples:
        row["error_samples"] = samples[:3]
    return row


def print_table(rows: list[dict[str, Any]]) -> None:
    columns = [
        "server",
        "scenario",
        "connections",
        "messages",
        "msgs_per_s",
        "p50_ms",
        "p99_ms",
        "server_core",
        "us_per_msg",
        "db_us_per_msg",
        "per_core_msgs_s",
        "client_core",
        "server_cpu_s",
        "rss_mb",
        "kb_per_conn",
        "total_s",
        "errors",
        "lost",
    ]
    used = [c for c in columns if any(c in row for row in rows)]
    widths = {c: max(len(c), *(len(str(row.get(c, ""))) for row in rows)) for c in used}
    print("  ".join(c.rjust(widths[c]) for c in used))
    for row in rows:
        print("  ".join(str(row.get(c, "")).rjust(widths[c]) for c in used))
        for sample in row.get("error_samples", []):
            print(f"    error: {sample}")
    for row in rows:
        if row.get("client_core", 0) > 0.9 and row.get("server_core", 1) < 0.9:
            print(f"note: {row['server']}/{row['scenario']} is client-bound; the server could do more")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--servers",
        default="floor,stock",
        help="floor,stock,ladeportal,ladeportal-pg,ladeportal-serve,ladeportal-uvloop",
    )
    parser.add_argument("--scenario", default="heartbeat,metervalues", help=",".join(SCENARIOS))
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per throughput run")
    parser.add_argument("--connections", type=int, default=100, help="concurrent connections (1 in flight)")
    parser.add_argument("--clients", type=int, default=1, help="client processes (all on CPU 1)")
    parser.add_argument("--idle", type=int, default=2000, help="connections for the idle scenario")
    parser.add_argument("--storm", type=int, default=2000, help="chargers in the reconnect storm")
    parser.add_argument(
        "--database-url",
        default=None,
        help="ladeportal, ladeportal-serve: default a fresh SQLite file; or postgresql+asyncpg://...",
    )
    parser.add_argument(
        "--pg-url", default=None, help="ladeportal-pg: postgresql+asyncpg://... (a fresh database beside it per server)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    raise_nofile()
    if len(os.sched_getaffinity(0)) < 2:
        print("warning: fewer than 2 CPUs; server and clients will share", file=sys.stderr)
    scenarios = [s for s in args.scenario.split(",") if s]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}")
    needed = max(args.connections, args.idle if "idle" in scenarios else 0, args.storm if "storm" in scenarios else 0)
    ids = [f"BENCH-{n:05d}" for n in range(needed)]
    rows: list[dict[str, Any]] = []
    for kind in [s for s in args.servers.split(",") if s]:
        for scenario in scenarios:
            # A fresh server per scenario: memory and CPU figures must not carry over.
            with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as tmp:
                try:
                    server = Server(kind, ids, args.database_url, Path(tmp), args.pg_url)
                except LookupError:
                    break
                try:
                    rows.append(run_scenario(server, scenario, args, Path(tmp)))
                finally:
                    server.stop()
            if not args.json:
                print(f"done: {kind} {scenario}", file=sys.stderr)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_table(rows)


def parse_client_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ocpp_gateway.py _client")
    parser.add_argument("--url", required=True)
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--first", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--out", required=True)
    return parser.parse_args(argv)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_client":
        raise_nofile()
        client_main(parse_client_args(sys.argv[2:]))
    else:
        main()

"""scripts/require.sh, which `make` runs before it needs a tool: every missing tool stops the target with
one line that says how to get it, and Chromium is installed from Debian's package when run as root.

Each case runs the script with a PATH holding only bash and stand-ins, so the real tools on this machine
are hidden, and the stand-in `id` decides whether the script believes it is root."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "require.sh"
BASH = shutil.which("bash")
CHMOD = shutil.which("chmod")


class Machine:
    """A bin directory of stand-ins; a stand-in's calls are logged as lines of `name DEBIAN_FRONTEND args`."""

    def __init__(self, root: Path) -> None:
        self.bin = root / "bin"
        self.bin.mkdir()
        self.log = root / "calls.log"
        self.log.touch()
        assert BASH is not None
        (self.bin / "bash").symlink_to(BASH)

    def tool(self, name: str, body: str = "exit 0") -> None:
        path = self.bin / name
        path.write_text(f'#!{BASH}\necho "{name} ${{DEBIAN_FRONTEND:-}} $*" >> "{self.log}"\n{body}\n')
        path.chmod(0o755)

    def user(self, uid: int) -> None:
        self.tool("id", f"echo {uid}")

    def calls(self, name: str) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if line.startswith(f"{name} ")]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "bash"), str(SCRIPT), *args],
            env={"PATH": str(self.bin)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_present_chromium_is_used_as_it_is(machine: Machine) -> None:
    machine.tool("chromium")
    machine.tool("apt-get")
    machine.user(0)
    result = machine.run("chromium")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert machine.calls("apt-get") == []


def test_missing_chromium_tells_a_normal_user_the_command(machine: Machine) -> None:
    machine.tool("apt-get")
    machine.user(1000)
    line = one_line(machine.run("chromium"))
    assert line.startswith("Chromium is missing") and "`sudo apt-get install chromium`" in line
    assert machine.calls("apt-get") == []


def test_missing_chromium_is_installed_by_root_without_questions(machine: Machine) -> None:
    chromium = machine.bin / "chromium"
    machine.tool("apt-get", f'[ "$1" != install ] || {{ echo "#!{BASH}" > "{chromium}"; {CHMOD} +x "{chromium}"; }}')
    machine.user(0)
    result = machine.run("chromium")
    assert result.returncode == 0, result.stderr
    assert machine.calls("apt-get") == [
        "apt-get noninteractive update -qq",
        "apt-get noninteractive install -y -qq chromium",
    ]
    assert (machine.bin / "chromium").exists()


def test_a_failed_installation_says_so(machine: Machine) -> None:
    machine.tool("apt-get", "exit 100")
    machine.user(0)
    result = machine.run("chromium")  # apt-get's own messages come before the line that sums them up
    assert result.returncode == 1 and "could not be installed" in result.stderr.strip().splitlines()[-1]


def test_missing_chromium_without_apt_asks_for_the_system_package(machine: Machine) -> None:
    machine.user(0)
    assert "install your system's chromium package" in one_line(machine.run("chromium"))


def test_node_and_npm_are_required_in_a_recent_version(machine: Machine) -> None:
    assert "Node.js and npm are missing" in one_line(machine.run("node"))
    machine.tool("npm")
    machine.tool("node", 'case "$1" in -p) echo 18 ;; --version) echo v18.19.0 ;; esac')
    assert "Node.js v18.19.0 is too old" in one_line(machine.run("node"))
    machine.tool("node", 'case "$1" in -p) echo 20 ;; --version) echo v20.1.0 ;; esac')
    assert machine.run("node").returncode == 0


def test_python_is_required(machine: Machine) -> None:
    assert "Python is missing" in one_line(machine.run("python", "python3"))
    machine.tool("python3", 'case "$2" in *version_info*) exit 1 ;; *platform*) echo 3.9.2 ;; esac')
    assert "Python 3.9.2; Ladeportal needs 3.11" in one_line(machine.run("python", "python3"))


def test_postgres_must_listen_where_the_url_points(machine: Machine) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        url = f"postgresql+asyncpg://postgres:pw@127.0.0.1:{port}/ladeportal_test"
        # Bound but not listening: a connection is refused, as with a stopped server.
        assert f"PostgreSQL is not running at 127.0.0.1:{port}" in one_line(machine.run("postgres", url))
        server.listen()
        assert machine.run("postgres", url).returncode == 0


def test_property_tests_run_without_a_wall_clock_deadline() -> None:
    from hypothesis import HealthCheck, settings

    assert settings().deadline is None and HealthCheck.too_slow in settings().suppress_health_check

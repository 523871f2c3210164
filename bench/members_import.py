"""Benchmark: import 10,000 members from CSV (dry run, import, re-import) and report rows/s.

    .venv/bin/python bench/members_import.py [--rows 10000] [--database-url sqlite+aiosqlite:///...]

Without --database-url a throw-away SQLite database in a temporary directory is migrated and used.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from ladeportal.db.engine import Database
from ladeportal.db.migrate import upgrade
from ladeportal.members.member_import import dry_run_member_import, import_members
from ladeportal.orgs.services import OrganizationInput, create_organization
from ladeportal.platform.audit import Actor

ACTOR = Actor.system("bench")


def make_file(rows: int) -> bytes:
    lines = ["Mobilnummer;Navn;E-post;Gruppe;RFID;Parkeringsplass"]
    lines += [f"9{i:07d};Person {i};p{i}@example.no;Standard;{0x10000000 + i:08X};P{i}" for i in range(rows)]
    return "\r\n".join(lines).encode("cp1252")


async def run(url: str, rows: int) -> None:
    db = Database(url)
    content = make_file(rows)
    try:
        async with db.session() as session:
            org = await create_organization(
                session, ACTOR, OrganizationInput(legal_name="Bench Borettslag", org_number=org_number())
            )
            for label, step in (
                ("dry run", lambda: dry_run_member_import(session, org.id, content, "bench.csv")),
                ("import", lambda: import_members(session, ACTOR, org.id, content, "bench.csv")),
                ("re-import (unchanged)", lambda: import_members(session, ACTOR, org.id, content, "bench.csv")),
            ):
                started = time.perf_counter()
                report = await step()
                seconds = time.perf_counter() - started
                print(f"{label:>22}: {rows} rows in {seconds:6.2f} s = {rows / seconds:8.0f} rows/s  {report.counts}")
    finally:
        await db.dispose()


def org_number() -> str:
    """A fresh Norwegian organisation number with a valid mod-11 check digit."""
    seed = int(time.time() * 1000)
    while True:
        base = f"9{seed % 10**7:07d}"
        remainder = sum(int(d) * w for d, w in zip(base, (3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
        check = 0 if remainder == 0 else 11 - remainder
        if check != 10:
            return base + str(check)
        seed += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", help="an empty, migrated (or migratable) database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        asyncio.run(run(url, args.rows))


if __name__ == "__main__":
    main()

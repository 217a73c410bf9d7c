"""SQLAlchemy integration benchmark: flush and list costs, and KMS calls, against
`sqlalchemy-utils`' `StringEncryptedType` (AES-GCM, one crypto call per value, no KMS).

Run by hand from a checkout with the project, its test extra and the bench extra installed:
`.venv/bin/python bench/orm.py`. It starts its own local KMS endpoint (moto, as the tests do)
and uses SQLite in memory; contenders alternate within each round (medians):

- saving ROWS new rows in one session (one flush), then listing them (a select of every row,
  then the plaintexts): pii_guard (one KMS call per flush and per distinct data key) and
  `StringEncryptedType` with the same rows and a fixed local key;
- listing 200 rows that were saved one per request (a session each), with and without data key
  reuse: the KMS calls the listing costs (the target is at most 2).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3  # noqa: E402
from _harness import Samples, alternate, report  # noqa: E402
from botocore.config import Config  # noqa: E402
from sqlalchemy import Engine, String, create_engine, select  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402
from sqlalchemy_utils import StringEncryptedType  # noqa: E402
from sqlalchemy_utils.types.encrypted.encrypted_type import AesGcmEngine  # noqa: E402

import pii_guard.sqlalchemy  # noqa: E402, F401 - maps PII columns
from pii_guard import KMSEnvelopeCryptor, PIIStr  # noqa: E402
from pii_guard.cryptors.keyreuse import DataKeyReuse  # noqa: E402
from pii_guard.sqlalchemy import CRYPTOR_KEY, decrypt  # noqa: E402
from tests.support.kms_server import DUMMY_CREDENTIALS, REGION, running_kms_server  # noqa: E402

LOCAL_KEY = os.urandom(32).hex()


class Base(DeclarativeBase):
    pass


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[PIIStr]
    email: Mapped[PIIStr]


class UtilsPerson(Base):
    __tablename__ = "utils_people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(StringEncryptedType(String, LOCAL_KEY, AesGcmEngine))
    email: Mapped[str] = mapped_column(StringEncryptedType(String, LOCAL_KEY, AesGcmEngine))


def people(count: int) -> list[tuple[str, str]]:
    return [(f"Person Number {n:06d}", f"person-{n:06d}@example.org") for n in range(count)]


def fresh_engine() -> Engine:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    return engine


def ours_round(cryptor: KMSEnvelopeCryptor, rows: list[tuple[str, str]]) -> tuple[float, float]:
    engine = fresh_engine()
    started = time.perf_counter()
    with Session(engine, info={CRYPTOR_KEY: cryptor}) as session:
        session.add_all(Person(name=name, email=email) for name, email in rows)
        session.commit()
    saved = time.perf_counter()
    with Session(engine, info={CRYPTOR_KEY: cryptor}) as session:
        plain = decrypt(session.scalars(select(Person)).all())
    listed = time.perf_counter()
    assert plain[-1]["email"] == rows[-1][1]
    return saved - started, listed - saved


def utils_round(rows: list[tuple[str, str]]) -> tuple[float, float]:
    engine = fresh_engine()
    started = time.perf_counter()
    with Session(engine) as session:
        session.add_all(UtilsPerson(name=name, email=email) for name, email in rows)
        session.commit()
    saved = time.perf_counter()
    with Session(engine) as session:
        plain = [(p.name, p.email) for p in session.scalars(select(UtilsPerson)).all()]
    listed = time.perf_counter()
    assert plain[-1][1] == rows[-1][1]
    return saved - started, listed - saved


def listing_cost(client: Any, calls: Counter[str], key_id: str, reuse: bool) -> None:
    cryptor = KMSEnvelopeCryptor(
        key_id, client=client, data_key_reuse=DataKeyReuse() if reuse else None
    )
    engine = fresh_engine()
    for name, email in people(200):
        with Session(engine, info={CRYPTOR_KEY: cryptor}) as session:
            session.add(Person(name=name, email=email))
            session.commit()
    saves = calls["GenerateDataKey"]
    calls.clear()
    started = time.perf_counter()
    with Session(engine, info={CRYPTOR_KEY: cryptor}) as session:
        plain = decrypt(session.scalars(select(Person)).all())
    took = time.perf_counter() - started
    assert len(plain) == 200
    print(
        f"listing 200 rows saved one per request, data key reuse {'on' if reuse else 'off'}: "
        f"{sum(calls.values())} KMS calls (target <= 2 with reuse), {took:.3f}s; "
        f"the 200 saves made {saves} data keys"
    )
    calls.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    rows = people(options.rows)
    print(f"{options.rows} rows of two PII columns; {options.rounds} rounds; SQLite in memory")
    with tempfile.TemporaryDirectory() as work, running_kms_server(Path(work)) as server:
        client = boto3.client(
            "kms",
            endpoint_url=server.endpoint_url,
            region_name=REGION,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}),
            **DUMMY_CREDENTIALS,
        )
        calls: Counter[str] = Counter()
        client.meta.events.register(
            "before-call.kms", lambda model, **_: calls.update([model.name])
        )
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        cryptor = KMSEnvelopeCryptor(key_id, client=client)
        ours_round(cryptor, rows), utils_round(rows)  # warm up
        flush_ours, flush_utils = Samples("pii_guard flush"), Samples("EncryptedType flush")
        list_ours, list_utils = Samples("pii_guard list"), Samples("EncryptedType list")

        def ours() -> float:
            saved, listed = ours_round(cryptor, rows)
            flush_ours.seconds.append(saved)
            list_ours.seconds.append(listed)
            return saved + listed

        def utils() -> float:
            saved, listed = utils_round(rows)
            flush_utils.seconds.append(saved)
            list_utils.seconds.append(listed)
            return saved + listed

        calls.clear()
        alternate(options.rounds, [("pii_guard", ours), ("EncryptedType", utils)])
        per_round = {name: count // options.rounds for name, count in calls.items()}
        calls.clear()
        print()
        for title, mine, theirs in (
            ("flush", flush_ours, flush_utils),
            ("list (select + plaintexts)", list_ours, list_utils),
        ):
            report(f"{title} of {options.rows} rows vs sqlalchemy-utils", mine, theirs, "none")
            print(
                f"  per row: pii_guard {mine.median / options.rows * 1e6:.1f}us, "
                f"EncryptedType {theirs.median / options.rows * 1e6:.1f}us"
            )
        print(f"KMS calls per pii_guard round (flush + list): {per_round}")
        print()
        listing_cost(client, calls, key_id, reuse=False)
        listing_cost(client, calls, key_id, reuse=True)


if __name__ == "__main__":
    main()

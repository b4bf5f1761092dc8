"""Nightly ETL: load yesterday's orders from the shop database, enrich them with exchange rates, write Parquet.

Run with:  python etl_orders.py --date 2025-03-14 --out s3://analytics/orders/
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from dataclasses import dataclass
from decimal import Decimal, ROUND_HALF_EVEN
from typing import Iterable, Iterator

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import requests

log = logging.getLogger("etl.orders")

RATES_URL = "https://rates.internal.example/v2/daily"
BATCH_SIZE = 5_000
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Order:
    order_id: int
    customer_id: int
    placed_at: dt.datetime
    currency: str
    total: Decimal
    country: str | None


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", type=dt.date.fromisoformat, default=dt.date.today() - dt.timedelta(days=1))
    parser.add_argument("--out", required=True, help="output directory or s3:// prefix")
    parser.add_argument("--dsn", default=os.environ.get("SHOP_DSN", "postgresql://etl@db/shop"))
    parser.add_argument("--dry-run", action="store_true")
    return parser.parse_args(argv)


def fetch_orders(dsn: str, day: dt.date) -> Iterator[Order]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.timezone.utc)
    end = start + dt.timedelta(days=1)
    query = """
        SELECT o.id, o.customer_id, o.placed_at, o.currency, o.total, a.country_code
          FROM orders o
          LEFT JOIN addresses a ON a.id = o.billing_address_id
         WHERE o.placed_at >= %s AND o.placed_at < %s
           AND o.status <> 'cancelled'
         ORDER BY o.id
    """
    with psycopg.connect(dsn) as conn, conn.cursor(name="orders_cursor") as cur:
        cur.itersize = BATCH_SIZE
        cur.execute(query, (start, end))
        for row in cur:
            yield Order(row[0], row[1], row[2], row[3], Decimal(row[4]), row[5])


def fetch_rates(day: dt.date, base: str = "EUR") -> dict[str, Decimal]:
    response = requests.get(RATES_URL, params={"date": day.isoformat(), "base": base}, timeout=10)
    response.raise_for_status()
    payload = response.json()
    rates = {code: Decimal(str(value)) for code, value in payload["rates"].items()}
    rates[base] = Decimal(1)
    log.info("loaded %d exchange rates for %s", len(rates), day)
    return rates


def to_eur(order: Order, rates: dict[str, Decimal]) -> Decimal:
    try:
        rate = rates[order.currency]
    except KeyError:
        raise ValueError(f"no rate for {order.currency!r} (order {order.order_id})") from None
    return (order.total / rate).quantize(CENT, rounding=ROUND_HALF_EVEN)


def batches(items: Iterable[Order], size: int) -> Iterator[list[Order]]:
    batch: list[Order] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


SCHEMA = pa.schema([
    ("order_id", pa.int64()),
    ("customer_id", pa.int64()),
    ("placed_at", pa.timestamp("ms", tz="UTC")),
    ("currency", pa.string()),
    ("total", pa.decimal128(12, 2)),
    ("total_eur", pa.decimal128(12, 2)),
    ("country", pa.string()),
])


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    rates = fetch_rates(args.date)
    path = f"{args.out.rstrip('/')}/date={args.date:%Y-%m-%d}/orders.parquet"
    written = skipped = 0
    writer = None if args.dry_run else pq.ParquetWriter(path, SCHEMA, compression="zstd")
    try:
        for batch in batches(fetch_orders(args.dsn, args.date), BATCH_SIZE):
            rows = []
            for order in batch:
                try:
                    eur = to_eur(order, rates)
                except ValueError as error:
                    log.warning("%s; skipping", error)
                    skipped += 1
                    continue
                rows.append({**order.__dict__, "total_eur": eur})
            if writer is not None and rows:
                writer.write_table(pa.Table.from_pylist(rows, schema=SCHEMA))
            written += len(rows)
    finally:
        if writer is not None:
            writer.close()
    log.info("wrote %d orders to %s (%d skipped)", written, path, skipped)
    return 0 if skipped == 0 else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

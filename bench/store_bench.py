"""Store benchmark: a 100,000-contact mirror, then the table's hot paths.

Prints bulk insert throughput, search latency per keystroke (1-6 character names and
digit runs), window reads at random offsets under several sorts, counts, and peak RSS.
Targets (design issue): search p95 <= 20 ms, 200-row window p95 <= 5 ms,
count p95 <= 10 ms, bulk merge >= 20,000 contacts/s.

    .venv/bin/python bench/store_bench.py [--contacts 100000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from contactdesk.core.models import Contact
from contactdesk.sandbox.people import custom_fields_for, people, tags_for
from contactdesk.store import ContactQuery, ResultSet, SortColumn, Store, StoreReader
from contactdesk.store.text import digits

REGIONS = ("US", "CA", "GB", "BD")
GROUPS = ("g-customers", "g-leads", "g-staff", "g-events", "g-wholesale")
PAGE = 100  # TextFlow's largest page: what a real refresh merges per transaction


def make_contacts(count: int, seed: int) -> list[Contact]:
    rng = random.Random(seed)
    out: list[Contact] = []
    for i, p in enumerate(people(count, regions=REGIONS, seed=seed)):
        out.append(
            Contact(
                phone=p.phone_e164,
                first_name=p.first_name,
                last_name=p.last_name,
                email=p.email,
                remote_id=str(100_000 + i),
                uuid=f"uuid-{i:08d}",
                group_id=rng.choice(GROUPS),
                tags=tuple(tags_for(rng)),
                custom_fields=custom_fields_for(rng),
                consent_status=rng.choice(("explicit", "implicit", None)),
                opted_out=rng.random() < 0.02,
                created_at=f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T10:00:00Z",
                updated_at=f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T"
                f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z",
            )
        )
    return out


def pages(items: list[Contact], size: int) -> Iterator[list[Contact]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def ms(samples: list[float]) -> str:
    s = sorted(samples)
    p50 = statistics.median(s) * 1000
    p95 = s[min(len(s) - 1, int(len(s) * 0.95))] * 1000
    return f"p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   max {s[-1] * 1000:6.2f} ms   (n={len(s)})"


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out: list[float] = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def rate(label: str, count: int, seconds: float) -> None:
    print(f"  {label:44} {count:7,} in {seconds:5.2f} s = {count / seconds:7,.0f} contacts/s")


def merge_in_pages(store: Store, items: list[Contact], size: int) -> float:
    t = time.perf_counter()
    for chunk in pages(items, size):
        store.mirror.merge_page(chunk)
    return time.perf_counter() - t


def first_download(store: Store, contacts: list[Contact], per_commit: int) -> None:
    """A full refresh into an empty store, PAGE contacts per provider page, grouping
    ``per_commit // PAGE`` pages per transaction with ``Store.batch``."""
    group = max(1, per_commit // PAGE)
    t = time.perf_counter()
    cp = store.mirror.begin_refresh()
    chunks = list(pages(contacts, PAGE))
    for i in range(cp.next_page - 1, len(chunks), group):
        with store.batch():
            for no, chunk in enumerate(chunks[i : i + group], start=i + 1):
                store.mirror.merge_page(chunk, page=no, pages=len(chunks), total=len(contacts))
    t_pages = time.perf_counter() - t
    store.mirror.finish_refresh()  # builds the deferred sort indexes
    label = f"first download, {PAGE}/page, {group * PAGE}/transaction"
    rate(label, len(contacts), time.perf_counter() - t)
    t_index = time.perf_counter() - t - t_pages
    print(f"    (pages {t_pages:.2f} s, then sort indexes built in {t_index:.2f} s)")


def build(store: Store, contacts: list[Contact]) -> None:
    print("writes (Mirror.merge_page; one transaction per call unless batched):")
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "one.sqlite3") as other:
        first_download(other, contacts, PAGE)
    first_download(store, contacts, 1000)
    store.checkpoint_wal()

    # steady state: a refresh where nothing changed
    sample = contacts[:20_000]
    t = time.perf_counter()
    store.mirror.begin_refresh()
    for no, chunk in enumerate(pages(sample, PAGE), start=1):
        store.mirror.merge_page(chunk, page=no)
    rate(f"refresh, nothing changed, {PAGE}/page", len(sample), time.perf_counter() - t)
    store.mirror.finish_refresh(sweep=False)

    # new and changed contacts arriving in a store that already holds everything
    for size, n in ((PAGE, 10_000), (1000, 20_000)):
        fresh = [
            c.with_changes(remote_id=f"x{size}-{c.remote_id}", phone=c.phone + "9")
            for c in contacts[:n]
        ]
        rate(f"new into a full store, {size}/transaction", n, merge_in_pages(store, fresh, size))
    changed = [c.with_changes(first_name=f"{c.first_name}x") for c in contacts[:10_000]]
    rate("changed on the server, 1000/transaction", 10_000, merge_in_pages(store, changed, 1000))
    store.checkpoint_wal()


#: country codes of REGIONS, to find where the national number starts
COUNTRY_CODES = ("880", "44", "1")


def keystrokes(contacts: list[Contact], rng: random.Random, n: int) -> dict[str, list[str]]:
    """What people type: the first k letters of a name, or k digits of a number typed
    from its start (with the country code, or the national number), or out of the
    middle (e.g. the last digits someone remembers), in equal shares. Runs from the
    middle alone would hide the cost: a 1-2 digit run there matches (almost) nothing,
    while "1" or "88" typed from the start matches a quarter to half of the list."""
    names: dict[str, list[str]] = {f"name {k} chars": [] for k in range(1, 7)}
    runs: dict[str, list[str]] = {f"digits {k}": [] for k in range(1, 7)}
    for i in range(n):
        c = rng.choice(contacts)
        name = rng.choice([x for x in (c.first_name, c.last_name) if x] or [c.phone])
        d = digits(c.phone)
        code = next((cc for cc in COUNTRY_CODES if d.startswith(cc)), "")
        start = (0, len(code), rng.randrange(0, max(1, len(d) - 6)))[i % 3]
        for k in range(1, 7):
            names[f"name {k} chars"].append(name[:k])
            runs[f"digits {k}"].append(d[start : start + k])
    return names | runs


def bench_search(reader: StoreReader, contacts: list[Contact], rng: random.Random) -> None:
    print("\nsearch per keystroke (query + count, then the first 50 rows):")
    all_samples: list[float] = []
    for label, texts in keystrokes(contacts, rng, 60).items():
        samples: list[float] = []
        sizes: list[int] = []
        for text in texts:
            reader.release_results()  # time the work, not the result cache
            t = time.perf_counter()
            rs = reader.query(ContactQuery(text=text))
            rs.window(0, 50)
            samples.append(time.perf_counter() - t)
            sizes.append(rs.count)
            rs.close()
        all_samples += samples
        print(f"  {label:15} {ms(samples)}   median hits {int(statistics.median(sizes)):,}")
    print(f"  {'all':15} {ms(all_samples)}")

    # The app's table model, above 5,000 contacts, runs the query on a worker thread and
    # reads every ordered id (ui/session.py query_ids_later): that full list costs more.
    print("\nfull ordered id list (query + local_ids(), the app's background path):")
    for text in ("", "a", "m", "1", "44", "880", "555"):
        samples = []
        for _ in range(15):
            reader.release_results()
            t = time.perf_counter()
            with reader.query(ContactQuery(text=text)) as rs:
                ids = rs.local_ids()
            samples.append(time.perf_counter() - t)
        print(f"  {text or '(none)':15} {ms(samples)}   ids {len(ids):,}")

    print("\nquery with no text (whole list / one group / one tag), by sort:")
    for label, q in (
        ("all, name", ContactQuery()),
        ("all, phone desc", ContactQuery(sort=SortColumn.PHONE, descending=True)),
        ("all, updated desc", ContactQuery(sort=SortColumn.UPDATED, descending=True)),
        ("group, name", ContactQuery(group_id=GROUPS[1])),
        ("tag, email", ContactQuery(tag="customer", sort=SortColumn.EMAIL)),
        ("group + 'ra', last", ContactQuery(group_id=GROUPS[0], text="ra", sort=SortColumn.LAST)),
    ):
        samples = cold_queries(reader, q, 15)
        print(f"  {label:22} {ms(samples)}")


def random_window(rs: ResultSet, rng: random.Random) -> object:
    return rs.window(rng.randrange(max(1, rs.count - 200)), 200)


def cold_queries(reader: StoreReader, q: ContactQuery, repeat: int) -> list[float]:
    out: list[float] = []
    for _ in range(repeat):
        reader.release_results()  # time the work, not the result cache
        t = time.perf_counter()
        reader.query(q).close()
        out.append(time.perf_counter() - t)
    return out


def bench_windows(reader: StoreReader, rng: random.Random) -> None:
    print("\nwindow of 200 rows at random offsets:")
    all_samples: list[float] = []
    for q in (
        ContactQuery(),
        ContactQuery(sort=SortColumn.PHONE, descending=True),
        ContactQuery(sort=SortColumn.UPDATED, descending=True),
        ContactQuery(sort=SortColumn.EMAIL),
        ContactQuery(tag="customer", sort=SortColumn.LAST),
        ContactQuery(text="880"),
    ):
        rs = reader.query(q)
        samples = timed(partial(random_window, rs, rng), 100)
        all_samples += samples
        desc = " desc" if q.descending else ""
        label = f"{q.sort.value}{desc}" + (f" tag={q.tag}" if q.tag else "")
        label += f" text={q.text!r}" if q.text else ""
        print(f"  {label:24} rows {rs.count:7,}  {ms(samples)}")
        row = rng.randrange(rs.count)
        lid = rs.local_ids(row, 1)[0]
        t = timed(partial(rs.row_of, lid), 20)
        print(f"  {'':24} row_of(local id)       {ms(t)}")
        rs.close()
    print(f"  {'all windows':24} {'':13} {ms(all_samples)}")


def bench_counts(reader: StoreReader) -> None:
    print("\ncount (StoreReader.count; ResultSet.count itself is free):")
    all_samples: list[float] = []
    for label, q in (
        ("all", ContactQuery()),
        ("one group", ContactQuery(group_id=GROUPS[2])),
        ("one tag", ContactQuery(tag="vip")),
        ("text 'rah'", ContactQuery(text="rah")),
        ("digits '880'", ContactQuery(text="880")),
        ("text 'a' (prefix)", ContactQuery(text="a")),
    ):
        samples = timed(partial(reader.count, q), 30)
        all_samples += samples
        print(f"  {label:18} {ms(samples)}")
    print(f"  {'all counts':18} {ms(all_samples)}")


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-sync", action="store_true", help="skip the sync timing")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    t = time.perf_counter()
    contacts = make_contacts(args.contacts, args.seed)
    print(f"generated {len(contacts):,} practice contacts in {time.perf_counter() - t:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        with Store.open(path) as store:
            build(store, contacts)
        print(f"file size: {path.stat().st_size / 1e6:.1f} MB")
        with StoreReader.open(path) as reader:
            bench_search(reader, contacts, rng)
            bench_windows(reader, rng)
            bench_counts(reader)

    if not args.no_sync:
        # sync time against the simulators (rate limits off): bench/sync_bench.py runs them in a
        # child process and mirrors 100,000 contacts of each platform into a fresh store
        print("\nsync into a fresh store (bench/sync_bench.py --preset large):", flush=True)
        subprocess.run(
            [sys.executable, str(Path(__file__).with_name("sync_bench.py")), "--preset", "large"],
            check=True,
        )

    print(f"\npeak RSS of the store bench (sync ran in its own processes): {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

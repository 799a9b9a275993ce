"""Engine benchmark (design.md "Performance"): xl_support.rules against OpenFisca, in the same run.

    .venv/bin/python benchmarks/bench_engine.py [--rows 100000] [--month 2027-01] [--repeat 5]

Prints the median of `--repeat` runs of:
- our engine, one month, numeric columns (`assess_frame(..., with_basis=False)` =
  people_arrays + eligibility + month_result), with the three steps also timed apart;
- `basis.basis_texts` alone for the same rows;
- `rules.schedule` over 60 months (2026-01 … 2030-12) for 10,000 rows;
- a plain Python row loop implementing the same rules (reference);
- OpenFisca (benchmarks/openfisca_nq55.py): simulation build + compute on the same rows and
  month. openfisca-core lives in the separate virtualenv .venv-bench; when it is not importable
  here, that part runs as a subprocess there and gets the rows through a .npz file.
Then the number of rows where OpenFisca's benefit / top-up / insurance (and the row loop's
benefit) differ from ours, for the timed month and a few more, and a table against the targets.
Exit status 1 when a target is missed or a result differs.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from xl_support.engine import assess, basis, rules
from xl_support.engine.parameters import DEFAULT as PARAMS
from xl_support.engine.policy import DEFAULT as GROUPS
from xl_support.build.sample import people_frame

HERE = Path(__file__).resolve().parent
BENCH_PYTHON = HERE.parent / ".venv-bench" / "bin" / "python"
CHECK_MONTHS = ["2026-01", "2026-06", "2026-12", "2027-01", "2027-08", "2028-12", "2030-12"]
BASIS_TARGET_S = 0.5
SCHEDULE_TARGET_S = 0.5


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median wall time of `repeat` calls after one warm-up call; returns (seconds, last result)."""
    result = fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def first_of(month: str) -> dt.date:
    y, m = month.split("-")
    return dt.date(int(y), int(m), 1)


# ------------------------------------------------------------------ plain Python reference

POVERTY_LINE = {("rural", 2026): 1_500_000, ("urban", 2026): 2_000_000,
                ("rural", 2027): 2_200_000, ("urban", 2027): 2_800_000}
TOPUP = {"CN-BTXH", "TN-BTXH", "DC-BTXH"}
PL = {"CN", "TN", "DC-NHE"}
STD = {"KNND", "XHTD", "SRXHTD", "HIV"}
FORBIDDEN = {"CN", "TN", "DC-NHE", "KNND", "XHTD", "SRXHTD"}      # R13 (CN: not BTXH)
NQ55_COLUMNS = ("group", "area", "birth", "allowance", "recognised", "mother_birth", "decision", "stop")
NQ55_DATES = ("birth", "recognised", "mother_birth", "decision", "stop")
NEEDS_AREA = TOPUP | PL
KNOWN = TOPUP | PL | STD


def _edate(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    last = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, m, min(d.day, last))


def loop_benefit(records: list[tuple], month: dt.date) -> list[int]:
    """domain.md R1–R9, R2a row by row (the 'plain Python loop' of design.md, ~0.42 s/100k there)."""
    ym = month.year * 12 + month.month
    out = []
    for group, area, birth, allowance, recognised, mother, decision, stop in records:
        if (birth is None or decision is None or (group in NEEDS_AREA and area not in ("rural", "urban"))
                or (group in TOPUP and allowance < 0) or (group in FORBIDDEN and allowance > 0)
                or (group.startswith("TN") and (recognised is None or recognised.year != 2025))
                or (group == "SRXHTD" and mother is None)
                or group not in KNOWN or birth > decision or (mother is not None and mother >= birth)):
            out.append(0)
            continue
        start = max(decision.year * 12 + decision.month, 2026 * 12 + 1)
        ends = [_edate(birth, 192), dt.date(2030, 12, 31)]
        lapses = [_edate(birth, 192)]           # R2a: the first day not eligible
        if group.startswith("TN"):
            ends.append(_edate(recognised, 36) - dt.timedelta(days=1))
            lapses.append(_edate(recognised, 36))
        if group == "SRXHTD":
            ends.append(_edate(mother, 216))
            lapses.append(_edate(mother, 216))
        if stop is not None:
            ends.append(stop)
            lapses.append(stop + dt.timedelta(days=1))
        last = min(ends)
        if decision >= min(lapses):
            out.append(0)
        elif not (start <= ym <= last.year * 12 + last.month):
            out.append(0)
        elif group in STD:
            out.append(750_000)
        else:
            pl = POVERTY_LINE[(area, min(month.year, 2027))]
            out.append(max(pl - allowance, 0) if group in TOPUP else pl)
    return out


def edge_frame(n: int, seed: int):
    """The sample with the cases it lacks, for the equality check only: stop dates, no decision,
    no area, empty / forbidden allowance, recognition outside 2025, no mother's birth date, an
    unknown code, 29 February and month-end birthdays, decisions after the end."""
    f = people_frame(n, seed=seed).copy()
    rng = np.random.default_rng(seed + 7)
    pick = lambda share: rng.random(n) < share  # noqa: E731
    days = lambda first, span: np.datetime64(first) + rng.integers(0, span, n).astype("m8[D]")  # noqa: E731
    stop = pick(0.15)
    f.loc[stop, "stop"] = days("2026-01-01", 1800)[stop]
    f.loc[pick(0.02), "decision"] = np.datetime64("NaT")
    late = pick(0.03)
    f.loc[late, "decision"] = days("2028-01-01", 1200)[late]
    f.loc[pick(0.02), "area"] = None
    f.loc[pick(0.02), "allowance"] = np.nan
    f.loc[pick(0.02), "allowance"] = 360_000
    f.loc[pick(0.02), "recognised"] = np.datetime64("2024-06-30")
    f.loc[pick(0.02), "mother_birth"] = np.datetime64("NaT")
    f.loc[pick(0.01), "group"] = "XYZ"
    f.loc[pick(0.03), "birth"] = np.datetime64("2012-02-29")
    f.loc[pick(0.03), "birth"] = np.datetime64("2011-01-31")
    f.loc[pick(0.03), "recognised"] = np.datetime64("2025-02-28")
    # R2a: decisions around the 16th birthday, the end of the 36 months, the mother's 18th
    # birthday (R14: a mother born 29/02/2008 is 18 on 28/02/2026) and before a stop date
    near = rng.integers(-2, 3, n).astype("m8[D]")
    sixteen = pick(0.04)
    signed = days("2026-01-01", 1000)
    f.loc[sixteen, "decision"] = signed[sixteen]
    f.loc[sixteen, "birth"] = (signed - np.timedelta64(16 * 365 + 4, "D") + near)[sixteen]
    mothers = pick(0.03) & (f["group"] == "SRXHTD").to_numpy()
    f.loc[mothers, "mother_birth"] = np.datetime64("2008-02-29")
    f.loc[mothers, "decision"] = np.datetime64("2026-02-28") + near[mothers]
    tn = pick(0.05) & f["group"].str.startswith("TN").to_numpy()
    f.loc[tn, "decision"] = (f.loc[tn, "recognised"].to_numpy().astype("M8[D]") + np.timedelta64(1096, "D")
                             + near[tn])
    before = pick(0.03)
    f.loc[before, "stop"] = (f.loc[before, "decision"].to_numpy().astype("M8[D]") + near[before])
    f.loc[pick(0.02) & (f["group"] == "CN").to_numpy(), "allowance"] = 1_050_000
    return f


def frame_records(frame) -> list[tuple]:
    """Typed frame → tuples of Python values (date or None), the loop's input."""
    cols = []
    for name in NQ55_COLUMNS:
        col = frame[name].fillna(-1).to_numpy(dtype=np.int64) if name == "allowance" else frame[name].to_numpy()
        if np.issubdtype(col.dtype, np.datetime64):
            col = col.astype("M8[D]").astype(object)          # NaT → None
        cols.append(col.tolist())
    return list(zip(*cols))


# ------------------------------------------------------------------ OpenFisca

def rows_npz(frame, path: Path) -> None:
    arrays = {"group": frame["group"].to_numpy(dtype=str), "area": frame["area"].fillna("").to_numpy(dtype=str),
              "allowance": frame["allowance"].fillna(-1).to_numpy(dtype=np.int64)}
    for k in NQ55_DATES:
        arrays[k] = frame[k].to_numpy().astype("M8[D]")
    np.savez(path, **arrays)


def run_openfisca(frame, month: str, repeat: int) -> tuple[dict, dict]:
    """Timings (JSON of openfisca_nq55.py) and result arrays, in-process or via .venv-bench."""
    with tempfile.TemporaryDirectory() as tmp:
        rows, out = Path(tmp) / "rows.npz", Path(tmp) / "of.npz"
        rows_npz(frame, rows)
        argv = ["--rows", str(rows), "--month", month, "--repeat", str(repeat), "--out", str(out),
                "--check-months", ",".join(CHECK_MONTHS)]
        try:
            sys.path.insert(0, str(HERE))
            import openfisca_nq55  # noqa: F401  (only where openfisca-core is installed)
            mode = "in-process"
            import contextlib
            import io
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                openfisca_nq55.main(argv)
            text = buf.getvalue()
        except ImportError:
            if not BENCH_PYTHON.exists():
                raise SystemExit(f"openfisca-core not importable and {BENCH_PYTHON} missing: see benchmarks/README.md")
            mode = f"subprocess ({BENCH_PYTHON.relative_to(HERE.parent)})"
            text = subprocess.run([str(BENCH_PYTHON), str(HERE / "openfisca_nq55.py"), *argv], check=True,
                                  capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"}).stdout
        finally:
            if sys.path and sys.path[0] == str(HERE):
                sys.path.pop(0)
        timings = json.loads(text.strip().splitlines()[-1])
        timings["mode"] = mode
        with np.load(out) as z:
            results = {k: z[k] for k in z.files}
    return timings, results


def compare(frame, of_results: dict, months: list[str]) -> list[tuple[str, int, int, int, list[int]]]:
    """Per month: mismatching rows (benefit, topup, insurance) between OpenFisca and us."""
    people = rules.people_arrays(frame, GROUPS)
    elig = rules.eligibility(people, GROUPS, PARAMS)
    out = []
    for m in months:
        res = rules.month_result(people, elig, first_of(m), GROUPS, PARAMS)
        b = np.flatnonzero(of_results[f"benefit_{m}"] != res.benefit)
        t = np.flatnonzero(of_results[f"topup_{m}"] != res.topup)
        i = np.flatnonzero(of_results[f"insurance_{m}"] != res.insurance)
        out.append((m, len(b), len(t), len(i), sorted(set(b[:5]) | set(t[:5]) | set(i[:5]))))
    return out


# ------------------------------------------------------------------ main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="xl_support engine vs OpenFisca (design.md Performance)")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--schedule-rows", type=int, default=10_000)
    ap.add_argument("--month", default="2027-01")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    month = first_of(a.month)
    frame = people_frame(a.rows, seed=a.seed)
    print(f"rows {a.rows:,}, month {a.month}, median of {a.repeat} runs (after one warm-up), "
          f"numpy {np.__version__}, python {sys.version.split()[0]}")

    t_engine, ours = timed(lambda: assess.assess_frame(frame, month, groups=GROUPS, params=PARAMS,
                                                      with_basis=False), a.repeat)
    t_people, people = timed(lambda: rules.people_arrays(frame, GROUPS), a.repeat)
    t_elig, elig = timed(lambda: rules.eligibility(people, GROUPS, PARAMS), a.repeat)
    t_month, res = timed(lambda: rules.month_result(people, elig, month, GROUPS, PARAMS), a.repeat)
    t_basis, texts = timed(lambda: basis.basis_texts(people, elig, res, GROUPS, PARAMS), a.repeat)
    small = people_frame(a.schedule_rows, seed=a.seed)
    t_sched, sched = timed(lambda: rules.schedule(small, dt.date(2026, 1, 1), dt.date(2030, 12, 1),
                                                  groups=GROUPS, params=PARAMS), a.repeat)
    records = frame_records(frame)
    t_loop, loop = timed(lambda: loop_benefit(records, month), a.repeat)
    of_t, of_res = run_openfisca(frame, a.month, a.repeat)
    edges = edge_frame(a.schedule_rows, a.seed)
    edge_t, edge_res = run_openfisca(edges, a.month, 1)

    loop_diff = int(np.count_nonzero(np.array(loop, dtype=np.int64) != ours["benefit"].to_numpy()))
    checks = compare(frame, of_res, of_t["months"])
    edge_checks = compare(edges, edge_res, edge_t["months"])
    edge_loop = sum(int(np.count_nonzero(np.array(loop_benefit(frame_records(edges), first_of(m)), dtype=np.int64)
                                         != assess.assess_frame(edges, first_of(m), with_basis=False)["benefit"]
                                         .to_numpy())) for m in edge_t["months"])
    of_total = of_t["build_compute_s"]

    rows = [
        ("engine, 1 month, numeric (assess_frame)", t_engine, of_total, "≤ OpenFisca same run"),
        ("  people_arrays", t_people, None, ""),
        ("  eligibility", t_elig, None, ""),
        ("  month_result", t_month, None, ""),
        (f"basis_texts, {a.rows:,} rows", t_basis, BASIS_TARGET_S, "≤ 0.5 s"),
        (f"schedule 60 months × {a.schedule_rows:,} rows", t_sched, SCHEDULE_TARGET_S, "≤ 0.5 s"),
        ("plain Python row loop (reference)", t_loop, None, "design.md: ~0.42 s"),
        (f"OpenFisca build + compute [{of_t['mode']}]", of_total, None, "design.md: ~0.06 s"),
        ("  OpenFisca simulation build (set_input)", of_t["build_s"], None, ""),
        ("  OpenFisca compute", of_t["compute_s"], None, ""),
        ("  (not timed above) OpenFisca system build", of_t["system_build_s"], None, "one-off"),
        ("  (not timed above) column encoding", of_t["encode_s"], None, ""),
    ]
    print(f"\n{'measure':<62}{'seconds':>10}  {'target':<22}{'ok':>4}")
    ok = True
    for name, secs, limit, target in rows:
        verdict = ""
        if limit is not None:
            verdict = "yes" if secs <= limit else "NO"
            ok &= secs <= limit
        print(f"{name:<62}{secs:>10.4f}  {target:<22}{verdict:>4}")
    print(f"\nsizes: {len(texts):,} basis texts; schedule {sched.benefit.shape}; "
          f"engine/OpenFisca = {t_engine / of_total:.2f}; row loop/engine = {t_loop / t_engine:.1f}")
    print(f"row loop vs engine, {a.month}: {loop_diff} benefit mismatches")
    print("OpenFisca vs engine (mismatching rows: benefit, topup, insurance):")
    for m, nb, nt, ni, sample in checks:
        print(f"  {m}: {nb:>6} {nt:>6} {ni:>6}" + (f"   e.g. rows {sample}" if sample else ""))
        ok &= nb == nt == ni == 0
    print(f"edge-case frame ({len(edges):,} rows: stop dates, missing cells, unknown code, 29/02 …):")
    for m, nb, nt, ni, sample in edge_checks:
        print(f"  {m}: {nb:>6} {nt:>6} {ni:>6}" + (f"   e.g. rows {sample}" if sample else ""))
        ok &= nb == nt == ni == 0
    print(f"  row loop vs engine, all these months: {edge_loop} benefit mismatches")
    ok &= loop_diff == 0 and edge_loop == 0
    print("\nall targets met, all results equal" if ok else "\nTARGET MISSED OR RESULTS DIFFER")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

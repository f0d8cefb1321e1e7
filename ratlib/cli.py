"""Command line: ``python -m ratlib <command> ...``."""
from __future__ import annotations

import argparse
import json
import sys


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", default="synth", help="dataset name (see `python -m ratlib datasets`)")
    p.add_argument("--data-dir", default=None, help="folder with the dataset's files (real data)")
    p.add_argument("--aspect", type=int, default=0)
    p.add_argument("--correlated", action="store_true", help="Beer: the correlated reviews.260k files")
    p.add_argument("--max-len", type=int, default=256, help="truncate texts to this many tokens")
    p.add_argument("--balance-dev", action="store_true", help="also balance the dev set")
    p.add_argument("--max-train", type=int, default=None, help="use at most this many training texts")
    p.add_argument("--max-dev", type=int, default=None, help="use at most this many dev texts")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="dataset-specific option (JSON value), e.g. --option correlation=0.7")


def data_config_from_args(args):
    from .data.registry import DataConfig

    options = {}
    for item in args.option:
        if "=" not in item:
            raise SystemExit(f"--option expects KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return DataConfig(name=args.dataset, aspect=args.aspect, data_dir=args.data_dir,
                      correlated=args.correlated, max_len=args.max_len, balance_dev=args.balance_dev,
                      max_train=args.max_train, max_dev=args.max_dev, options=options)


def cmd_data_stats(args) -> int:
    from .data.registry import load_splits
    from .data.stats import dataset_stats

    stats = dataset_stats(load_splits(data_config_from_args(args)))
    print(json.dumps(stats))
    return 0


def cmd_datasets(args) -> int:
    from .data.registry import dataset_names

    print("\n".join(dataset_names()))
    return 0


def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _add_method_args(p: argparse.ArgumentParser) -> None:
    """One ``--flag`` per MethodConfig field, so the CLI never lags the config."""
    from dataclasses import fields

    from .methods import MethodConfig

    p.add_argument("--method", required=True)
    p.add_argument("--encoder", default="gru", help="gru, minilm, mpnet, or a Hugging Face hub name")
    p.add_argument("--recipe", default="paper", choices=["paper", "cpu"],
                   help="paper: the papers' settings (default); cpu: the book's cpu-profile settings for this "
                        "method and encoder (ratlib/methods/recipes.py). Flags below win over the recipe.")
    for f in fields(MethodConfig):
        if f.name in ("method", "encoder"):
            continue
        p.add_argument(f"--{f.name.replace('_', '-')}", dest=f"m_{f.name}", type=_parse_value, default=None,
                       help=f"method hyper-parameter {f.name} (JSON value; default per method)")


def cmd_train(args) -> int:
    from dataclasses import fields

    from .methods import MethodConfig
    from .methods.recipes import recipe_settings
    from .train import TrainConfig, summary_line, train

    overrides = {f.name: getattr(args, f"m_{f.name}") for f in fields(MethodConfig)
                 if f.name not in ("method", "encoder") and getattr(args, f"m_{f.name}") is not None}
    settings = {**recipe_settings(args.recipe, args.method, args.encoder), **overrides}
    method = MethodConfig(method=args.method, encoder=args.encoder, **settings)
    config = TrainConfig(data=data_config_from_args(args), method=method, seed=args.seed, epochs=args.epochs,
                         batch_size=args.batch_size, glove_path=args.glove, piece_rule=args.piece_rule)
    result = train(config, store=not args.no_store, resume=not args.no_resume, progress=not args.quiet,
                   recipe=args.recipe)
    if args.out:
        from .io import write_json

        write_json(args.out, result)
    print(summary_line(result))
    return 0


def shard_slice(text: str, n_runs: int) -> slice:
    """The runs of shard ``K/N`` (1-based K): every N-th run starting at run K."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like K/N (e.g. 1/2), got {text!r}") from None
    if not 1 <= k <= n:
        raise ValueError(f"--shard {text}: K must be between 1 and N")
    return slice(k - 1, n_runs, n)


def sweep_needs(chapters, profile: str, full_design: bool = False) -> list:
    """Every stored result ``chapters`` read under ``profile``, in order, each once (chapters share runs).

    With ``full_design``, chapters whose profile lists only the seeds stored so far give their
    whole design (``config.full_design()``).
    """
    from .experiments.profiles import CHAPTERS, chapter_config
    from .experiments.needs import unique

    if list(chapters) == ["all"]:
        chapters = list(CHAPTERS)
    configs = [chapter_config(chapter, profile) for chapter in chapters]
    if full_design:
        configs = [c.full_design() if hasattr(c, "full_design") else c for c in configs]
    return unique(need for config in configs for need in config.needs())


def sweep_configs(chapters, profile: str) -> list:
    """The training runs among :func:`sweep_needs`."""
    return [need.train for need in sweep_needs(chapters, profile) if need.train is not None]


def cmd_sweep(args) -> int:
    """Compute every result the chapters need under a profile (stored results are skipped).

    The training runs are split over the shards (or run as Ray tasks); then
    the first shard computes the analyses and baselines (cheap; some probe
    the trained runs).
    """
    import time

    from .experiments.runs import run_all

    needs = sweep_needs(args.chapters, args.profile, full_design=args.full_design)
    runs = [need.train for need in needs if need.train is not None]
    others = [need for need in needs if need.train is None]
    if args.launcher != "ray" and (args.address or args.num_cpus is not None):
        raise ValueError("--address and --num-cpus are for --launcher ray")
    if args.launcher == "ray" and args.shard:
        raise ValueError("--shard splits a local sweep by hand; --launcher ray schedules every run itself")
    if args.shard:
        runs = runs[shard_slice(args.shard, len(runs))]
        others = others if args.shard.split("/")[0] == "1" else []
    if args.write_readme and not args.status:
        raise ValueError("--write-readme goes with --status")
    if args.status:
        return _print_sweep_status(needs, args)
    start = time.perf_counter()
    if args.launcher == "ray":
        code = _sweep_on_ray(runs, others, args, start)
        return code if code else _compute_others(others)
    results = run_all(runs, progress=not args.quiet)
    _compute_others(others)
    print(f"{len(others)} analyses and {len(results)} runs of {' + '.join(args.chapters)} ({args.profile}"
          f"{', shard ' + args.shard if args.shard else ''}) stored in results/ "
          f"({time.perf_counter() - start:.0f} s)")
    return 0


def _compute_others(others) -> int:
    """Analyses and baselines, after the training runs (some probe the trained runs)."""
    for need in others:
        if not need.stored():
            print(f"computing {need.label} ...", flush=True)
        need.get()
    return 0


def _sweep_on_ray(runs, others, args, start: float) -> int:
    """The training runs as Ray tasks (ratlib/experiments/launcher.py); exit 1 when a run failed."""
    import time

    from .experiments.launcher import run_on_ray

    report = run_on_ray(runs, address=args.address, num_cpus=args.num_cpus, retries=args.retries)
    print(f"{len(others)} analyses and {len(report.stored) + report.skipped} of {len(runs)} runs of "
          f"{' + '.join(args.chapters)} ({args.profile}) stored in results/ ({len(report.stored)} trained now, "
          f"{len(report.failed)} failed; {time.perf_counter() - start:.0f} s)")
    return 0 if report.ok else 1


def _print_sweep_status(needs, args) -> int:
    """How many of the sweep's results are stored, and the compute the stored runs took."""
    from .experiments.runs import compute_summary, run_all

    runs = [need.train for need in needs if need.train is not None]
    others = [need for need in needs if need.train is None]
    stored = run_all(runs, progress=False, only_stored=True)
    cost = compute_summary(stored)
    print(f"{args.profile} runs of {' + '.join(args.chapters)}: {len(stored)} of {len(runs)} stored, "
          f"{cost['hours']:.2f} h of compute in all")
    for encoder, part in cost["by_encoder"].items():
        print(f"  {encoder}: {part['runs']} runs, {part['hours']:.2f} h")
    if cost["longest"]:
        longest = cost["longest"]
        print(f"  longest: {longest['method']} ({longest['encoder']}), {longest['minutes']:.0f} min")
    import textwrap

    from .experiments.runs import compute_statement

    what = f"{' + '.join(args.chapters)} ({args.profile})"
    statement = compute_statement(cost, what)
    print("compute statement (README.md, generated from the stored runs' times and machines):")
    print(textwrap.fill(statement, width=78, initial_indent="  ", subsequent_indent="  "))
    if args.write_readme:
        from .paths import PROJECT_ROOT

        command = f"sweep {' '.join(args.chapters)} --profile {args.profile}"
        write_readme_statement(PROJECT_ROOT / "README.md", command, statement)
        print(f"  (written to README.md's block for `python -m ratlib {command} --status`)")
    if others:
        print(f"analyses and baselines: {sum(n.stored() for n in others)} of {len(others)} stored")
    for need in needs:
        if not need.stored():
            print(f"  missing: {need.kind}/{need.key}.json  {need.label}")
    return 0


def write_readme_statement(readme, command: str, statement: str) -> None:
    """Replace the paragraph of ``readme``'s generated block for ``command`` (``sweep ... --profile P``) by
    ``statement``, wrapped at 78 columns; the file is rewritten atomically."""
    import re
    import textwrap

    from .io import atomic_path

    marker = f"<!-- compute statement: python -m ratlib {command} --status -->"
    text = readme.read_text()
    block = re.compile(re.escape(marker) + r"\n.*?\n<!-- end -->", re.S)
    if len(block.findall(text)) != 1:
        raise ValueError(f"{readme}: expected one block opened by '{marker}' and closed by '<!-- end -->'")
    body = f"{marker}\n{textwrap.fill(statement, width=78)}\n<!-- end -->"
    with atomic_path(readme) as tmp:
        tmp.write_text(block.sub(lambda _: body, text), encoding="utf-8")


def cmd_verify(args) -> int:
    """Recompute the first epochs of a stored run and report how closely they agree (ratlib/verify.py)."""
    from . import verify

    if args.record and (args.kernel or args.deterministic):
        raise ValueError("--record stores what the stored run's own settings compute on this machine; "
                         "it cannot be combined with --kernel or --deterministic")
    path, record = verify.load_stored_run(args.result)
    config, env, deterministic = verify.recompute_spec(record, path)
    epochs = min(args.epochs, len(record["history"]))
    if args.kernel:
        env["ATEN_CPU_CAPABILITY"] = args.kernel
    deterministic = deterministic or args.deterministic
    threads = record["machine"].get("torch_threads")
    if threads:  # as many threads as the stored run had: threaded reductions split sums by thread
        env.setdefault("OMP_NUM_THREADS", str(threads))
    settings = " ".join(f"{k}={v}" for k, v in env.items()) + (" deterministic" if deterministic else "")
    print(f"verifying {path.name}: {epochs} of {len(record['history'])} epochs"
          + (f" (with {settings.strip()})" if settings.strip() else ""), flush=True)
    try:
        fresh = verify.recompute(config, epochs, env=env, deterministic=deterministic, quiet=args.quiet)
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    values = verify.compare_histories(record["history"], fresh["history"], epochs, rtol=args.rtol, atol=args.atol)
    summary = verify.summarize_comparison(values)
    same, _ = verify.same_processor(record["machine"], fresh["machine"])
    print("\n".join(verify.report_lines(values, summary, record["machine"], fresh["machine"], same,
                                        rtol=args.rtol, atol=args.atol)))
    if args.record:  # whatever the agreement: a recorded "differs" is as much a finding as "exact"
        entry = verify.verification_entry(summary, fresh["machine"], rtol=args.rtol, atol=args.atol)
        written = verify.record_verification(path, entry, record["config"])
        print(f"recorded: verification {len(written[verify.VERIFICATIONS])} of {path} ({entry['agreement']}, "
              f"{entry['epochs']} epoch(s), {entry['date']})")
    if verify.failed(summary, same, strict=args.strict):
        print("error: the recomputation does not agree exactly" + (" although the processor, kernels and "
              "libraries are the same" if same else ""), file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ratlib", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("data-stats", help="print per-split statistics of a dataset as JSON")
    _add_data_args(p)
    p.set_defaults(run=cmd_data_stats)
    p = sub.add_parser("train", help="train one method and store its result")
    _add_data_args(p)
    _add_method_args(p)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--glove", default=None, help="a glove.6B.<d>d.txt file (default: GloVe 50d package)")
    p.add_argument("--piece-rule", default="first", choices=["first", "any"],
                   help="PLMs: a word is selected when its first / any piece is")
    p.add_argument("--out", default=None, help="also write the result JSON here")
    p.add_argument("--no-store", action="store_true", help="do not read or write results/")
    p.add_argument("--no-resume", action="store_true", help="ignore an existing checkpoint")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=cmd_train)
    p = sub.add_parser("sweep", help="compute (or reuse) every result the chapters need under a profile")
    p.add_argument("chapters", nargs="+", metavar="CHAPTER",
                   help="e.g. datacard degeneration, or all (every chapter of ratlib/experiments/profiles.py)")
    p.add_argument("--profile", default="cpu", choices=["smoke", "cpu", "paper"])
    p.add_argument("--shard", default=None, metavar="K/N",
                   help="train only every N-th run starting at the K-th (1-based), to split a sweep "
                        "over N parallel processes")
    p.add_argument("--full-design", action="store_true",
                   help="every seed of the chapters' design, also those the profile does not show yet")
    p.add_argument("--launcher", default="local", choices=["local", "ray"],
                   help="local: train the runs one after the other in this process; ray: as Ray tasks, "
                        "one CPU (or GPU for transformers, when there is one) each (needs the ray extra)")
    p.add_argument("--address", default=None,
                   help="--launcher ray: join this Ray cluster (e.g. ray://head:10001 or auto) instead of "
                        "starting a local instance")
    p.add_argument("--num-cpus", type=int, default=None,
                   help="--launcher ray: CPUs of the local Ray instance (default: every core of this machine)")
    p.add_argument("--retries", type=int, default=1,
                   help="--launcher ray: times a failed run is retried before it is reported (default 1)")
    p.add_argument("--status", action="store_true",
                   help="train nothing; print how many runs are stored and the compute they took")
    p.add_argument("--write-readme", action="store_true",
                   help="with --status: also write the compute statement into README.md's block for this "
                        "command (the block tests/test_compute_statement.py checks)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=cmd_sweep)
    p = sub.add_parser("verify", help="recompute the first epochs of a stored run and compare them with it")
    p.add_argument("result", metavar="RESULT", help="results/runs/<key>.json (or its key; a unique prefix will do), "
                   "or a variance measurement results/variance/<key>.json (recomputed under its own kernel setting)")
    p.add_argument("--epochs", type=int, default=2, help="how many epochs to recompute (default 2)")
    p.add_argument("--rtol", type=float, default=1e-3, help="relative tolerance of training values")
    p.add_argument("--atol", type=float, default=0.5, help="tolerance of metrics, in percentage points")
    p.add_argument("--kernel", default=None, choices=["default", "avx2", "avx512"],
                   help="force torch's CPU kernel level (ATEN_CPU_CAPABILITY) in the recomputation")
    p.add_argument("--deterministic", action="store_true", help="torch.use_deterministic_algorithms(True)")
    p.add_argument("--strict", action="store_true",
                   help="fail on any inexact agreement (default: only when both sides ran on the same processor, "
                        "kernel level and libraries)")
    p.add_argument("--record", action="store_true",
                   help="append the outcome (this machine, epochs, agreement, date) to the result file's "
                        "'verifications' list; its configuration and key do not change")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=cmd_verify)
    p = sub.add_parser("datasets", help="list the registered datasets")
    p.set_defaults(run=cmd_datasets)
    return parser


def main(argv=None) -> int:
    from .results import MissingResult

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (FileNotFoundError, ValueError, MissingResult) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

"""Training throughput and peak memory of every method x encoder.

Usage (from the project root):

    .venv/bin/python benchmarks/throughput.py [--encoders gru minilm] [--steps 5] [--threads 2]
    .venv/bin/python benchmarks/throughput.py --epoch      # MMI+N2R GRU epoch, the official-code comparison

Each measurement runs in its own subprocess so its peak resident memory is
its own. A fixed batch (the first ``--batch`` training reviews of the
generated benchmark, padded to their longest) is fed ``--steps`` times after
one warm-up step. For PLM encoders a plain forward+backward of the same
encoder on the same batch is measured too, and every method's step is
reported as a ratio of it. Results are printed as a Markdown table and
stored in ``results/benchmarks/``.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

METHODS = ("rnp", "fr", "plmr", "n2r", "mmi_n2r")


def _batch(encoder: str, batch_size: int):
    """The first training reviews of synth aspect 0, featurized for ``encoder``, and the encoder's model inputs."""
    from ratlib.data.batching import Collator, feature_table
    from ratlib.data.registry import DataConfig, load_splits
    from ratlib.encoders import encoder_for
    from ratlib.methods import MethodConfig
    from ratlib.train import TrainConfig

    config = TrainConfig(data=DataConfig(name="synth", aspect=0), method=MethodConfig(encoder=encoder))
    splits = load_splits(config.data)
    encoder_object = encoder_for(config, splits)
    featurizer = encoder_object.featurizer
    table = feature_table(splits.train[:batch_size], featurizer)
    return Collator(featurizer.pad_id)([table[i] for i in range(len(table))]), encoder_object.model_inputs()


def measure_one(method: str, encoder: str, steps: int, batch_size: int) -> dict:
    """Seconds per train_step (or per plain fwd+bwd when method == 'plain')."""
    import torch

    from ratlib.methods import MethodConfig, build_method

    torch.manual_seed(0)
    batch, inputs = _batch(encoder, batch_size)
    if method == "plain":
        plm = inputs["plm"]
        plm.train()  # dropout on, as in every method's train_step (from_pretrained leaves eval mode)
        head = torch.nn.Linear(plm.hidden_size, 2)
        opt = torch.optim.Adam(list(plm.parameters()) + list(head.parameters()), lr=1e-5)

        def step():
            opt.zero_grad()
            states = plm(batch["input_ids"], batch["attention_mask"])
            torch.nn.functional.cross_entropy(head(states[:, 0]), batch["labels"]).backward()
            opt.step()
    else:
        model = build_method(MethodConfig(method=method, encoder=encoder), n_classes=2, **inputs)

        def step():
            model.train_step(batch)
    step()  # warm-up (optimizer state, allocator)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = (time.perf_counter() - start) / steps
    return {
        "method": method, "encoder": encoder, "batch": list(batch["input_ids"].shape),
        "s_per_step": seconds, "examples_per_s": batch["input_ids"].shape[0] / seconds,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20,
    }


def measure_epoch(max_train: int) -> dict:
    """One MMI+N2R GRU epoch (GloVe 50d, batch 128) through the real trainer loop."""
    from ratlib.data.registry import DataConfig
    from ratlib.methods import MethodConfig
    from ratlib.train import TrainConfig, make_loader, prepare

    cfg = TrainConfig(data=DataConfig(name="synth", aspect=0, max_train=max_train),
                      method=MethodConfig(method="mmi_n2r", encoder="gru"), epochs=1, batch_size=128)
    prep = prepare(cfg)
    loader = make_loader(prep.tables["train"], prep.pad_id, cfg.batch_size, shuffle=True, seed=1)
    n = len(prep.tables["train"])
    start = time.perf_counter()
    for batch in loader:
        prep.method.train_step(batch)
    seconds = time.perf_counter() - start
    mean_len = sum(prep.tables["train"].lengths) / n
    return {"method": "mmi_n2r", "encoder": "gru", "examples": n, "mean_tokens": mean_len,
            "epoch_s": seconds, "examples_per_s": n / seconds,
            "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20}


def _child(args) -> None:
    import torch

    torch.set_num_threads(args.threads)
    if args.epoch:
        out = measure_epoch(args.max_train)
    else:
        out = measure_one(args.method, args.encoder, args.steps, args.batch)
    out["threads"] = args.threads
    print("RESULT " + json.dumps(out))


def _run_child(argv: list[str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", *argv], capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"benchmark {' '.join(argv)} failed:\n{proc.stderr[-2000:]}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--encoders", nargs="+", default=["gru", "minilm"])
    p.add_argument("--methods", nargs="+", default=list(METHODS))
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epoch", action="store_true", help="time one MMI+N2R GRU epoch instead")
    p.add_argument("--max-train", type=int, default=6540, help="--epoch: training reviews (official run: 6540)")
    p.add_argument("--no-store", action="store_true")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--method", help=argparse.SUPPRESS)
    p.add_argument("--encoder", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        _child(args)
        return 0
    from tqdm.auto import tqdm

    from ratlib.results import save_result

    common = ["--threads", str(args.threads)]
    if args.epoch:
        rows = [_run_child(["--epoch", "--max-train", str(args.max_train), *common])]
        r = rows[0]
        print(f"MMI+N2R GRU epoch: {r['examples']} reviews of {r['mean_tokens']:.0f} tokens in {r['epoch_s']:.1f} s "
              f"= {r['examples_per_s']:.0f} examples/s, peak {r['peak_rss_gib']:.2f} GiB ({args.threads} threads)")
        config = {"benchmark": "epoch", "max_train": args.max_train, "threads": args.threads}
    else:
        jobs = [(m, e) for e in args.encoders for m in args.methods if not (m == "plmr" and e == "gru")]
        jobs += [("plain", e) for e in args.encoders if e != "gru"]
        rows = []
        for method, encoder in tqdm(jobs, desc="benchmarks"):
            rows.append(_run_child(["--method", method, "--encoder", encoder, "--steps", str(args.steps),
                                    "--batch", str(args.batch), *common]))
        plain = {r["encoder"]: r["s_per_step"] for r in rows if r["method"] == "plain"}
        print("| method | encoder | batch | s / step | examples / s | peak RSS GiB | x plain fwd+bwd |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            ratio = f"{r['s_per_step'] / plain[r['encoder']]:.2f}" if r["encoder"] in plain else "-"
            r["ratio_to_plain"] = None if ratio == "-" else float(ratio)
            print(f"| {r['method']} | {r['encoder']} | {r['batch'][0]}x{r['batch'][1]} | {r['s_per_step']:.3f} | "
                  f"{r['examples_per_s']:.0f} | {r['peak_rss_gib']:.2f} | {ratio} |")
        config = {"benchmark": "steps", "encoders": args.encoders, "methods": args.methods, "steps": args.steps,
                  "batch": args.batch, "threads": args.threads}
    if not args.no_store:
        print("stored:", save_result("benchmarks", config, {"rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Text benchmark: MaskedLMReplace vs nlpaug's ContextualWordEmbsAug, same machine, same run.

1. Offline masked LM: the packaged MiniLM encoder adapted by MLM fine-tuning on tweets + fortunes
   (the fit MaskedLMReplace runs for a head-less model); fit time and fill-mask top-5 on probes.
2. Throughput (CPU): sentences/s on a batch of 256 tweets, same model folder, same fraction.
3. Label fidelity on `tweets`: a TF-IDF + logistic-regression sentiment classifier trained on the
   full training split judges originals and augmented test tweets; label-flip rate of
   MaskedLMReplace without / with label-conditioned fit, and of nlpaug, at the same fraction.

    python benchmarks/bench_text.py [--quick]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aad.data import load
from aad.text import MaskedLMReplace, Nlpaug
from aad.text.nlpaug_adapter import contextual_word_embs_aug
from benchmarks.common import results_name, timeit, write_results

PROBES = ["He drove his [MASK] to work.", "The movie was [MASK] good.", "I [MASK] this song so much!",
          "The weather is [MASK] today.", "She is a [MASK] at the hospital."]
FRACTION = 0.15


def sentiment_classifier(train):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    clf = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                        LogisticRegression(max_iter=2000, C=4.0))
    return clf.fit(train.x, train.y.numpy())


def flip_rate(clf, originals, augmented) -> float:
    before, after = clf.predict(originals), clf.predict(augmented)
    return float((before != after).mean())


def changed(originals, augmented) -> float:
    return sum(a != b for a, b in zip(originals, augmented)) / len(originals)


def main(quick: bool) -> None:
    torch.set_num_threads(1)  # on a shared 2-core machine one thread is several times faster than two
    sizes = {"pretrain": 60 if quick else 200, "label_fit": 20 if quick else 60, "n_fit": 2000,
             "n_judge": 128 if quick else 512, "n_nlpaug": 32 if quick else 96, "repeats": 1 if quick else 3}
    rows, lines = {}, [f"# Text benchmark ({'quick' if quick else 'full'} run)", "", f"sizes: {sizes}", ""]
    tweets = load("tweets")
    train, test = tweets.split(seed=0)
    names = list(tweets.classes)

    # 1. offline masked LM from the packaged encoder
    start = time.perf_counter()
    general = MaskedLMReplace(fraction=FRACTION, pretrain_steps=sizes["pretrain"], fit_steps=0, seed=0)
    general.fit(train.x[:8])  # fit_steps=0: only the (cached) general-corpus adaptation runs
    fit_s = time.perf_counter() - start
    folder = general.model_.name_or_path
    probes = {p: general.fill_mask(p)[0] for p in PROBES}
    rows["adaptation"] = {"pretrain_steps": sizes["pretrain"], "fit_seconds": fit_s, "folder": folder,
                          "fill_mask_top5": probes}
    lines += [f"## Offline masked LM: MiniLM encoder + {sizes['pretrain']} MLM steps on tweets+fortunes",
              f"fit time: {fit_s:.0f} s (0 if cached)", "", "| probe | top-5 |", "| --- | --- |"]
    lines += [f"| {p} | {', '.join(t)} |" for p, t in probes.items()]
    print("\n".join(lines[-len(probes) - 4:]), flush=True)

    # 2. throughput, batch of 256 tweets, CPU
    batch = test.x[:256]
    ours_s = timeit(lambda: general.augment(batch, rng=0), warmup=1, repeats=sizes["repeats"])
    nlp = contextual_word_embs_aug(folder, action="substitute", aug_p=FRACTION, top_k=10, device="cpu",
                                   batch_size=256)
    theirs = Nlpaug(nlp, seed=0)
    small = batch[:sizes["n_nlpaug"]]
    theirs_s = timeit(lambda: theirs.augment(small), warmup=1, repeats=1) * len(batch) / len(small)
    rows["throughput"] = {"batch": len(batch), "ours_sent_per_s": len(batch) / ours_s,
                          "nlpaug_sent_per_s": len(batch) / theirs_s, "ratio": theirs_s / ours_s,
                          "nlpaug_measured_on": len(small)}
    t = rows["throughput"]
    lines += ["", "## Throughput (CPU, batch of 256 tweets, fraction 0.15, same model folder)",
              "| augmenter | sentences/s |", "| --- | --- |",
              f"| MaskedLMReplace | {t['ours_sent_per_s']:.1f} |",
              f"| nlpaug ContextualWordEmbsAug | {t['nlpaug_sent_per_s']:.2f} (timed on {len(small)}) |",
              "", f"speed-up: **{t['ratio']:.1f}x**"]
    print("\n".join(lines[-7:]), flush=True)

    # 3. label fidelity
    clf = sentiment_classifier(train)
    accuracy = float((clf.predict(test.x) == test.y.numpy()).mean())
    judge_x, judge_y = test.x[:sizes["n_judge"]], test.y[:sizes["n_judge"]]
    fit_x, fit_y = train.x[:sizes["n_fit"]], train.y[:sizes["n_fit"]]
    start = time.perf_counter()
    conditioned = MaskedLMReplace(fraction=FRACTION, pretrain_steps=sizes["pretrain"],
                                  fit_steps=sizes["label_fit"], label_names=names, seed=0).fit(fit_x, fit_y)
    label_fit_s = time.perf_counter() - start
    outputs = {
        "MaskedLMReplace (general fit, no labels)": general.augment(judge_x, rng=1),
        "MaskedLMReplace (label-conditioned fit)": conditioned.augment(judge_x, judge_y, rng=1),
        "nlpaug ContextualWordEmbsAug": theirs.augment(judge_x[:sizes["n_nlpaug"]], rng=1),
    }
    rows["fidelity"] = {"classifier_test_accuracy": accuracy, "label_fit_seconds": label_fit_s,
                        "n_fit": sizes["n_fit"], "results": {}}
    n_shared = sizes["n_nlpaug"]   # nlpaug judged on fewer texts: every augmenter also on those
    lines += ["", f"## Label fidelity on tweets (classifier test accuracy {accuracy:.3f}; fraction {FRACTION})",
              f"| augmenter | texts | changed | label-flip rate | label-flip rate, first {n_shared} (nlpaug's) |",
              "| --- | --- | --- | --- | --- |"]
    for name, out in outputs.items():
        originals = judge_x[:len(out)]
        rate, moved = flip_rate(clf, originals, out), changed(originals, out)
        shared = flip_rate(clf, originals[:n_shared], out[:n_shared])
        rows["fidelity"]["results"][name] = {"n": len(out), "flip_rate": rate, "changed": moved,
                                             f"flip_rate_first_{n_shared}": shared,
                                             "examples": list(zip(originals[:3], out[:3]))}
        lines.append(f"| {name} | {len(out)} | {moved:.2f} | {rate:.3f} | {shared:.3f} |")
    lines.append(f"\nlabel-conditioned fit: {sizes['label_fit']} steps on {sizes['n_fit']} labeled tweets, "
                 f"{label_fit_s:.0f} s (0 if cached)")
    print("\n".join(lines[-6:]), flush=True)

    write_results(results_name("bench_text", quick), "\n".join(lines), **rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    main(parser.parse_args().quick)

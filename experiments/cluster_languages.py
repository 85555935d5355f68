"""Telling the ten MasakhaNEWS languages apart with no labels: NCD graph + spectral clustering.

A sample of news texts per language (``--n-per-language``, seeded) goes through
``NCDTransformer`` (gzip, the ``--k`` nearest of each text) into scikit-learn's
``SpectralClustering(affinity="precomputed_nearest_neighbors")`` with one cluster per
language; the clusters are scored against the languages by the adjusted Rand index. The
same graph feeds ``TSNE(metric="precomputed")`` for the plot.

    python -m experiments.cluster_languages            # 50 texts x 10 languages
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import SpectralClustering
from sklearn.manifold import TSNE
from sklearn.metrics import adjusted_rand_score

from experiments.report import markdown_table, new_record, record_text, write_record
from npc import NCDTransformer
from npc.datasets import load_dataset

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["ibo", "lin", "lug", "orm", "pcm", "run", "sna", "som", "xho", "yor"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-per-language", type=int, default=50)
    parser.add_argument("--k", type=int, default=15, help="neighbours per text in the NCD graph")
    parser.add_argument("--compressor", default="gzip")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "cluster_languages",
                        help="writes OUTPUT.md/.json/.png")
    return parser.parse_args(argv)


def plot(embedding, languages, clusters, ari, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    codes = np.searchsorted(LANGUAGES, languages)
    # each cluster drawn in the colour of the language most of its texts have
    majority = np.array([np.bincount(codes[clusters == c], minlength=len(LANGUAGES)).argmax()
                         for c in range(clusters.max() + 1)])
    figure, axes = plt.subplots(1, 2, figsize=(12, 5.5), sharex=True, sharey=True)
    colours = plt.get_cmap("tab10")
    for axis, colour_codes, title in [(axes[0], codes, "true language"),
                                      (axes[1], majority[clusters],
                                       f"spectral clusters, in their majority language's colour (ARI {ari:.3f})")]:
        for code, language in enumerate(LANGUAGES):
            chosen = colour_codes == code
            axis.scatter(*embedding[chosen].T, s=12, color=colours(code), label=language)
        axis.set_title(title)
        axis.set_xticks([])
        axis.set_yticks([])
    axes[0].legend(fontsize=8, markerscale=1.5, loc="best")
    figure.suptitle("MasakhaNEWS texts by NCD (gzip): t-SNE of the NCD neighbour graph, no labels used")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main(argv=None) -> int:
    args = parse_args(argv)
    texts, languages = [], []
    for language in LANGUAGES:
        data = load_dataset(f"masakhanews_{language}", "train", n=args.n_per_language, seed=args.seed)
        texts += list(data.texts)
        languages += [language] * len(data.texts)
    languages = np.asarray(languages)

    started = time.perf_counter()
    graph = NCDTransformer(n_neighbors=args.k, compressor=args.compressor, n_jobs=args.n_jobs).fit_transform(texts)
    graph_seconds = time.perf_counter() - started
    spectral = SpectralClustering(len(LANGUAGES), affinity="precomputed_nearest_neighbors", n_neighbors=args.k,
                                  assign_labels="cluster_qr", random_state=args.seed)
    clusters = spectral.fit_predict(graph)
    ari = adjusted_rand_score(languages, clusters)
    # share of each text's graph neighbours (itself excluded) in its own language
    neighbours = graph.indices.reshape(len(texts), -1)[:, 1:]
    same_language = float((languages[neighbours] == languages[:, None]).mean())
    embedding = TSNE(2, metric="precomputed", init="random", perplexity=min(30, (args.k - 1) / 3),
                     random_state=args.seed).fit_transform(graph)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    plot(embedding, languages, clusters, ari, args.output.with_suffix(".png"))
    record = new_record(
        "experiments.cluster_languages", argv,
        n_per_language=args.n_per_language,
        n_texts=len(texts),
        k=args.k,
        compressor=args.compressor,
        seed=args.seed,
        adjusted_rand_index=ari,
        neighbours_in_same_language=same_language,
        graph_seconds=graph_seconds,
        cluster_sizes=np.bincount(clusters, minlength=len(LANGUAGES)).tolist(),
        languages=LANGUAGES,
        clusters_by_language=[np.bincount(clusters[languages == language], minlength=len(LANGUAGES)).tolist()
                              for language in LANGUAGES],
    )
    rows = [[language] + counts for language, counts in zip(LANGUAGES, record["clusters_by_language"])]
    text = "\n\n".join([
        "# Clustering MasakhaNEWS texts by language with NCD, no labels",
        f"{args.n_per_language} training texts per language (seeded sample, seed {args.seed}), {len(texts)} in all; "
        f"`NCDTransformer(n_neighbors={args.k}, compressor={args.compressor!r})` graph "
        f"({graph_seconds:.0f} s), then `SpectralClustering({len(LANGUAGES)}, "
        f"affinity=\"precomputed_nearest_neighbors\", n_neighbors={args.k})`.",
        f"**Adjusted Rand index {ari:.3f}** against the languages; {same_language:.1%} of each text's {args.k} "
        "NCD neighbours are in its own language.",
        "Texts of each language (rows) per cluster (columns, numbered by scikit-learn):",
        markdown_table(["language"] + [f"c{c}" for c in range(len(LANGUAGES))], rows),
        f"![t-SNE of the NCD graph]({args.output.with_suffix('.png').name})",
    ])
    write_record(record, text, args.output)
    print(record_text(record, text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

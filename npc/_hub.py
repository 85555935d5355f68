"""Where the Hugging Face hub serves each named data set, and fetching one split of it.

Only :mod:`npc.datasets` uses this module. The ``datasets`` package is imported only when
a split is really fetched, so offline use never pays for it.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from urllib.parse import urlparse

import numpy as np

__all__ = ["HUB_SOURCES", "HubSource", "fetch_split", "hub_offline_reason"]

_TRUE = {"1", "on", "yes", "true"}


@dataclass(frozen=True)
class HubSource:
    """One data set on the hub: its id, configuration, and how to build text and label.

    ``text_columns`` are joined with a space (e.g. title + " " + content).
    ``one_hot_labels``, when given, are 0/1 columns: the label is the index of the first
    column set to 1, and rows with none set are dropped (as the gzip paper's loader did).
    """

    hub_id: str
    description: str
    config: str | None = None
    text_columns: tuple[str, ...] = ("text",)
    label_column: str = "label"
    one_hot_labels: tuple[str, ...] | None = None


_MASAKHANEWS = {
    "amh": "Amharic", "eng": "English", "fra": "French", "hau": "Hausa", "ibo": "Igbo",
    "lin": "Lingala", "lug": "Luganda", "orm": "Oromo", "pcm": "Nigerian Pidgin", "run": "Kirundi",
    "sna": "chiShona", "som": "Somali", "swa": "Swahili", "tir": "Tigrinya", "xho": "isiXhosa",
    "yor": "Yoruba",
}

HUB_SOURCES: dict[str, HubSource] = {
    "imdb": HubSource("stanfordnlp/imdb", "IMDb movie reviews, Maas et al. 2011 (aclImdb)"),
    "ag_news": HubSource("fancyzhx/ag_news", "AG News (Zhang et al. 2015), text = title + description"),
    "dbpedia_14": HubSource("fancyzhx/dbpedia_14", "DBpedia-14 ontology classes, text = title + content",
                            text_columns=("title", "content")),
    "yahoo_answers_topics": HubSource(
        "community-datasets/yahoo_answers_topics",
        "Yahoo Answers topics, text = question title + question content + best answer",
        text_columns=("question_title", "question_content", "best_answer"), label_column="topic"),
    "sogou_news": HubSource("community-datasets/sogou_news", "Sogou News (pinyin), text = title + content",
                            text_columns=("title", "content")),
    "kinnews": HubSource("community-datasets/kinnews_kirnews", "KINNEWS Kinyarwanda news (cleaned)",
                         config="kinnews_cleaned", text_columns=("title", "content")),
    "kirnews": HubSource("community-datasets/kinnews_kirnews", "KIRNEWS Kirundi news (cleaned)",
                         config="kirnews_cleaned", text_columns=("title", "content")),
    "swahili_news": HubSource("community-datasets/swahili_news", "Swahili news topics"),
    "filipino_dengue": HubSource(
        "jcblaise/dengue_filipino", "Filipino dengue tweets, label = first of five 0/1 columns set",
        one_hot_labels=("absent", "dengue", "health", "mosquito", "sick")),
    **{
        f"masakhanews_{code}": HubSource("masakhane/masakhanews", f"MasakhaNEWS {language} news topics",
                                         config=code, text_columns=("headline", "text"))
        for code, language in _MASAKHANEWS.items()
    },
}


def hub_offline_reason() -> str | None:
    """Why the hub cannot be used right now (a short phrase), or None when it can be tried."""
    for variable in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE"):
        if os.environ.get(variable, "").strip().lower() in _TRUE:
            return f"{variable}={os.environ[variable]}"
    try:
        import datasets  # noqa: F401
    except ImportError:
        return "the 'datasets' package is not installed"
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    # A quick probe, so that a machine without network fails in seconds instead of
    # waiting through the datasets package's retries.
    try:
        socket.create_connection((endpoint.hostname, port), timeout=3).close()
    except OSError as error:
        return f"{endpoint.hostname} is unreachable ({error.strerror or error})"
    return None


def fetch_split(source: HubSource, split: str):
    """Download one split; return ``(texts, labels, class_names)``.

    Raises whatever the ``datasets`` package raises; the caller turns it into one line.
    """
    import datasets

    table = datasets.load_dataset(source.hub_id, source.config, split=split)
    label_columns = source.one_hot_labels or (source.label_column,)
    missing = [name for name in (*source.text_columns, *label_columns) if name not in table.column_names]
    if missing:
        raise KeyError(f"{source.hub_id} has no column {missing[0]!r} (columns: {', '.join(table.column_names)})")
    columns = table.select_columns([*source.text_columns, *label_columns]).to_dict()
    texts = [" ".join(fields) for fields in zip(*(columns[name] for name in source.text_columns))]
    if source.one_hot_labels is not None:
        flags = np.column_stack([np.asarray(columns[name]) == 1 for name in source.one_hot_labels])
        keep = flags.any(axis=1)
        texts = [text for text, kept in zip(texts, keep) if kept]
        return texts, flags[keep].argmax(axis=1).astype(np.int64), list(source.one_hot_labels)
    feature = table.features[source.label_column]
    class_names = list(feature.names) if hasattr(feature, "names") else None
    return texts, np.asarray(columns[source.label_column], dtype=np.int64), class_names

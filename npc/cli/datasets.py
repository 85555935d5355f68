"""``npc datasets``: the data sets available here, or ``info NAME`` about one."""

from __future__ import annotations

import argparse

import numpy as np

from npc.cli.data import check_data_dir
from npc.cli.errors import EXIT_OK
from npc.cli.options import Command, add_common_arguments
from npc.datasets import available_datasets, dataset_info, hub_datasets, load_dataset
from npc.evaluation import shared_texts

__all__ = ["COMMAND"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser)
    actions = parser.add_subparsers(dest="action", metavar="{info}")
    info = actions.add_parser("info", help="splits, class counts and sources of one data set",
                              description="Splits, class counts and sources of one data set.")
    info.add_argument("name", help="a data set name")
    add_common_arguments(info)


def run(options: argparse.Namespace) -> int:
    check_data_dir(options)
    if options.action == "info":
        return _info(options)
    local = available_datasets(options.data_dir)
    print(f"{'name':<20} {'train':>8} {'validation':>10} {'test':>8} {'classes':>7}  location")
    for entry in local:
        splits = entry["splits"]
        counts = [f"{splits[s]:,}" if s in splits else "-" for s in ("train", "validation", "test")]
        classes = len(entry["class_names"]) if entry["class_names"] else "?"
        print(f"{entry['name']:<20} {counts[0]:>8} {counts[1]:>10} {counts[2]:>8} {classes:>7}  "
              f"{entry['location']} ({entry['path']})")
    names = {entry["name"]: entry for entry in local}
    remote = [name for name in hub_datasets()
              if name not in names or not {"train", "test"} <= set(names[name]["splits"])]
    print(f"\nfrom the Hugging Face hub when online (then cached): {', '.join(remote)}")
    return EXIT_OK


def _info(options) -> int:
    info = dataset_info(options.name, options.data_dir)
    print(info["name"])
    if info["local"] is None:
        print("  local copy: none")
    else:
        print(f"  local copy: {info['local']['location']} ({info['local']['path']})")
        loaded = {}
        for split in info["local"]["splits"]:
            data = loaded[split] = load_dataset(info["name"], split, data_dir=options.data_dir)
            counts = ", ".join(f"{name} {count:,}" for name, count in data.class_counts().items())
            print(f"  {split}: {len(data):,} texts, mean {np.mean([len(t) for t in data.texts]):,.0f} chars; {counts}")
        if {"train", "test"} <= loaded.keys():
            shared = shared_texts(loaded["test"].texts, loaded["train"].texts)
            print(f"  test texts that appear verbatim in train: {shared.sum():,} ({shared.mean():.2%})")
    if info["hub"] is not None:
        hub = info["hub"]
        config = f" (configuration {hub['config']})" if hub["config"] else ""
        print(f"  hub: {hub['id']}{config}; text = {hub['text']}; label = {hub['label']}")
        print(f"  {hub['description']}")
    return EXIT_OK


COMMAND = Command("datasets", "list the data sets available here, or `info NAME` about one", add_arguments, run)

"""Model files: every model reloads to identical predictions; bad and planted files are refused."""

import hashlib
import inspect
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest
from sklearn.base import BaseEstimator

import npc
from npc import compressors
from npc._state_tree import is_trusted
from npc.baselines import BASELINES, make_baseline
from npc.model_files import (
    FORMAT_VERSION,
    HEADER_NAME,
    TREE_NAME,
    ModelFileError,
    load_model,
    read_model_header,
    save_model,
    training_fingerprint,
)

TEXTS = ["the cat sat on the mat", "a cat ran after the dog", "cats nap in the sun all day", "my dog barks at cats",
         "stocks fell sharply today", "shares fell as markets slid", "bond yields rose again", "the market rallied"]
LABELS = ["pets"] * 4 + ["finance"] * 4
QUERIES = ["a cat sat on a mat", "markets fell today", "the dog ran", "yields slid", "", "zzz"]

MODELS = {
    "ncd": lambda: npc.NCDClassifier(3),
    "ncd-cv": lambda: npc.NCDClassifierCV({"n_neighbors": [1, 3]}, cv=2),
    "ncd-zstd-distance": lambda: npc.NCDClassifier(3, compressor="zstd", weights="distance"),
    "compressor-classifier": lambda: npc.CompressorClassifier(),
    "ppm": lambda: npc.PPMClassifier(),
    "token-ppm": lambda: npc.TokenPPMClassifier(),
    "mix": lambda: npc.CodeLengthMixer(cv=2),
    **{name: (lambda name=name: make_baseline(name, **({"n_neighbors": 3} if name.endswith("-knn") else {})))
       for name in BASELINES},
}


@pytest.fixture
def saved(tmp_path):
    """A small fitted PPM model's file."""
    path = tmp_path / "model.npc"
    save_model(npc.PPMClassifier().fit(TEXTS, LABELS), path, X=TEXTS, y=LABELS)
    return path


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_reloads_to_identical_predictions(name, tmp_path):
    model = MODELS[name]().fit(TEXTS, LABELS)
    path = tmp_path / f"{name}.npc"
    save_model(model, path, X=TEXTS, y=LABELS)
    loaded = load_model(path)
    assert type(loaded) is type(model)
    assert loaded.predict(QUERIES).tolist() == model.predict(QUERIES).tolist()
    if hasattr(model, "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(QUERIES), model.predict_proba(QUERIES))
    else:  # CompressorClassifier: its scores
        np.testing.assert_array_equal(loaded.class_sizes(QUERIES), model.class_sizes(QUERIES))


def test_transformer_and_integer_labels_reload(tmp_path):
    transformer = npc.NCDTransformer(2).fit(TEXTS)
    save_model(transformer, tmp_path / "t.npc")
    assert (load_model(tmp_path / "t.npc").transform(QUERIES) != transformer.transform(QUERIES)).nnz == 0
    classifier = npc.NCDClassifier(1).fit(TEXTS, np.arange(8) % 3)
    save_model(classifier, tmp_path / "c.npc")
    assert load_model(tmp_path / "c.npc").predict(QUERIES).tolist() == classifier.predict(QUERIES).tolist()
    assert read_model_header(tmp_path / "c.npc")["classes"] == [0, 1, 2]


def test_header_records_version_model_classes_and_training_data(saved):
    header = read_model_header(saved)
    assert header["format_version"] == FORMAT_VERSION
    assert header["npc_version"] == npc.__version__
    assert header["model"] == {"class": "npc.ppm.PPMClassifier", "params": npc.PPMClassifier().get_params()}
    assert header["classes"] == ["finance", "pets"]
    data = header["training_data"]
    assert (data["n_texts"], data["n_bytes"]) == (8, sum(len(text) for text in TEXTS))
    assert data["texts_sha256"] == training_fingerprint(TEXTS)["texts_sha256"]
    assert data["labels_sha256"] == hashlib.sha256(json.dumps(LABELS, separators=(",", ":")).encode()).hexdigest()


def test_ncd_training_texts_are_stored_compressed(tmp_path):
    texts = [f"the same long review of a film, number {i}, " * 20 for i in range(200)]
    save_model(npc.NCDClassifier(1).fit(texts, ["a", "b"] * 100), tmp_path / "m.npc")
    assert os.path.getsize(tmp_path / "m.npc") < sum(map(len, texts)) / 10


def _entries(path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write(path, entries: dict, header_changes=None) -> None:
    """Write ``entries`` as the archive, the header updated by ``header_changes`` and its payload
    checksum made to match the entries (so only the change under test is wrong)."""
    header = {**json.loads(entries[HEADER_NAME]), **(header_changes or {})}
    payload = [entries[TREE_NAME]] + [entries[f"arrays/{i}.npy"] for i in range(header["payload"]["n_arrays"])]
    header["payload"] = {**header["payload"], "bytes": sum(map(len, payload)),
                         "sha256": hashlib.sha256(b"".join(payload)).hexdigest()}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in {**entries, HEADER_NAME: json.dumps(header).encode()}.items():
            archive.writestr(name, data)


def _refused(path, match):
    with pytest.raises(ModelFileError, match=match) as caught:
        load_model(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path))
    return message


class _CreatesFile:
    """Unpickling (or building) this creates the file named by ``target``."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))

    def __setstate__(self, state):
        open(state["target"], "w").close()


def test_pickle_planted_as_the_model_tree_is_refused_and_not_run(saved, tmp_path):
    target = tmp_path / "pwned"
    _write(saved, {**_entries(saved), TREE_NAME: pickle.dumps(_CreatesFile(str(target)))})
    _refused(saved, "damaged model file")
    assert not target.exists()


def test_pickled_array_planted_in_the_archive_is_refused_and_not_run(saved, tmp_path):
    target = tmp_path / "pwned"
    planted = io.BytesIO()
    np.save(planted, np.array([_CreatesFile(str(target))], dtype=object), allow_pickle=True)
    _write(saved, {**_entries(saved), "arrays/0.npy": planted.getvalue()})
    _refused(saved, "damaged model file .*pickle")
    assert not target.exists()


def test_pickle_file_is_refused_and_not_run(tmp_path):
    target, path = tmp_path / "pwned", tmp_path / "model.npc"
    path.write_bytes(pickle.dumps(_CreatesFile(str(target))))
    _refused(path, "not an npc model file")
    assert not target.exists()


def test_untrusted_class_in_the_tree_is_refused_and_not_built(saved, tmp_path):
    target = tmp_path / "pwned"
    entries = _entries(saved)
    tree = json.loads(entries[TREE_NAME])
    tree["state"]["values"]["items"].append({"t": "object", "class": f"{__name__}._CreatesFile",
                                             "state": {"t": "dict", "keys": {"t": "list", "items": ["target"]},
                                                       "values": {"t": "list", "items": [str(target)]}}})
    _write(saved, {**entries, TREE_NAME: json.dumps(tree).encode()})
    message = _refused(saved, "types npc does not trust")
    assert "_CreatesFile" in message and "nothing was loaded" in message
    assert not target.exists()


@pytest.mark.parametrize("name", ["posix.system", "os.system", "builtins.eval", "subprocess.Popen",
                                  "sklearn.utils.Bunch"])
def test_untrusted_function_or_class_named_in_the_tree_is_refused(saved, name):
    entries = _entries(saved)
    tree = json.loads(entries[TREE_NAME])
    tree["state"]["values"]["items"][0] = {"t": "type", "name": name}
    _write(saved, {**entries, TREE_NAME: json.dumps(tree).encode()})
    assert name in _refused(saved, "types npc does not trust")


def test_a_function_or_untrusted_object_is_refused_when_saving(tmp_path):
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(tokenizer=str.split, token_pattern=None)
    model = npc.CosineKNNClassifier(vectorizer=vectorizer).fit(TEXTS, LABELS)
    with pytest.raises(ModelFileError, match=r"model\.vectorizer\.tokenizer is a method_descriptor"):
        save_model(model, tmp_path / "m.npc")
    model = npc.NCDClassifier(1, random_state=np.random.RandomState(0)).fit(TEXTS, LABELS)
    with pytest.raises(ModelFileError, match="model.random_state is a RandomState .* cannot store"):
        save_model(model, tmp_path / "m.npc")
    model = npc.PPMClassifier().fit(TEXTS, LABELS)
    model.extra_ = [_CreatesFile("x")]
    with pytest.raises(ModelFileError, match=rf"model.extra_\[0\] is a {__name__}._CreatesFile, which model files do "
                                             "not trust"):
        save_model(model, tmp_path / "m.npc")
    assert not (tmp_path / "m.npc").exists()


@pytest.mark.parametrize("cut", [0, 4, 100, -30, -1])
def test_truncated_file_is_refused(saved, cut):
    data = saved.read_bytes()
    saved.write_bytes(data[:cut] if cut else b"")
    _refused(saved, "not an npc model file|damaged or truncated")


def test_random_bytes_and_foreign_archives_are_refused(saved, tmp_path):
    saved.write_bytes(np.random.default_rng(0).bytes(4096))
    _refused(saved, r"not an npc model file \(it is not a zip archive\)")
    with zipfile.ZipFile(saved, "w") as archive:
        archive.writestr("other.txt", "hello")
    _refused(saved, f"no {HEADER_NAME} in the archive")
    with zipfile.ZipFile(saved, "w") as archive:
        archive.writestr(HEADER_NAME, json.dumps({"format": "something-else"}))
    _refused(saved, "its header is not npc's")


def test_flipped_byte_is_refused(saved):
    data = bytearray(saved.read_bytes())
    data[len(data) // 2] ^= 0xFF
    saved.write_bytes(bytes(data))
    _refused(saved, "damaged")


def test_payload_that_does_not_match_its_checksum_is_refused(saved):
    entries = _entries(saved)
    with zipfile.ZipFile(saved, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data.replace(b"\"C\"", b"\"D\"") if name == TREE_NAME else data)
    _refused(saved, "does not match the checksum")


def test_wrong_format_version_is_refused(saved):
    _write(saved, _entries(saved), {"format_version": FORMAT_VERSION + 1})
    _refused(saved, f"format version {FORMAT_VERSION + 1}; npc .* reads version {FORMAT_VERSION} only")


@pytest.mark.parametrize(("version", "match"), [("99.0.0", "newer than this npc"),
                                                ("0.0.1", "loads files of npc 0.1.x only"),
                                                ("not-a-version", "damaged header")])
def test_incompatible_npc_version_is_refused(saved, version, match):
    _write(saved, _entries(saved), {"npc_version": version})
    _refused(saved, match)
    with pytest.raises(ModelFileError, match=match):
        read_model_header(saved)


def test_missing_file_and_folder_are_refused(tmp_path):
    _refused(tmp_path / "nope.npc", "no such model file")
    _refused(tmp_path, "is a folder")


def test_model_file_error_is_an_npc_error_of_exit_code_2():
    from npc.errors import NPCError

    assert issubclass(ModelFileError, NPCError) and issubclass(ModelFileError, ValueError)
    assert ModelFileError.exit_code == 2


def _qualified(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_every_npc_estimator_and_compressor_is_trusted_and_nothing_else_of_npc():
    """A class added or moved in npc needs no list to be updated for its model files to load."""
    public = [getattr(npc, name) for name in npc.__all__]
    estimators = [obj for obj in public if inspect.isclass(obj) and issubclass(obj, BaseEstimator)]
    codecs = [compressors.get_compressor(name).__class__ for name in compressors.available_compressors()]
    for cls in [*estimators, *codecs, npc.corpus.Corpus]:
        assert is_trusted(_qualified(cls)), cls
    for name in ["npc.corpus.as_corpus", "npc.kernel.KernelStats", "npc.model_files.ModelFileError",
                 "npc.__main__.main", "npc.NCDClassifier", "npc.nope.Thing"]:
        assert not is_trusted(name), name

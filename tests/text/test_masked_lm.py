"""MaskedLMReplace on a tiny BertForMaskedLM built from config: mechanics, bad input, fit, cache."""
import contextlib
import re
import shutil
from pathlib import Path

import pytest
import torch

from aad.base import Augmenter, NotFittedError
from aad.text import MaskedLMReplace
from aad.text import adapt as adapt_module
from aad.text import masked_lm as masked_lm_module
from aad.text.adapt import cache_root
from aad.text.lm import head_parameters, vocab_words
from aad.text.words import STOPWORDS, WORD
from tests.text.tiny_mlm import VOCAB, tiny_mlm_dir, tiny_roberta_dir

TEXTS = ["The movie was really good, and the actors were GREAT!",
         "I did not like the food at this restaurant at all.",
         "the weather today is cold , grey and windy 123",
         "She drove her old car to work every single morning 🙂"]


def make(tmp_path, **kw):
    kw.setdefault("fraction", 0.5)
    kw.setdefault("progress", False)
    return MaskedLMReplace(model=tiny_mlm_dir(), cache_dir=str(tmp_path / "cache"), **kw)


@contextlib.contextmanager
def favouring(augmenter, token):
    """The loaded model's best guess for every mask is ``token`` (its output bias raised by 100)."""
    augmenter.augment(["warm up"], rng=0)  # load the model
    model, tokenizer = augmenter._lm()
    head = model.lm_head if hasattr(model, "lm_head") else model.cls.predictions
    column = tokenizer.convert_tokens_to_ids(token)
    with torch.no_grad():
        head.bias[column] += 100.0
    try:
        yield
    finally:
        with torch.no_grad():
            head.bias[column] -= 100.0


def greedy(model, **kw):
    return MaskedLMReplace(model=model, fraction=1.0, temperature=0, top_k=1, progress=False, **kw)


def skeleton(text):
    """Everything but the words: spacing, punctuation, numbers, emoji."""
    return WORD.sub("_", text)


def headless_copy(folder):
    """``tiny_mlm_dir()``'s encoder without its masked-LM head, with its tokenizer, in ``folder``."""
    from transformers import BertModel
    BertModel.from_pretrained(tiny_mlm_dir()).save_pretrained(folder)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        if (Path(tiny_mlm_dir()) / name).is_file():
            shutil.copy(Path(tiny_mlm_dir()) / name, folder / name)
    return str(folder)


def test_replaces_whole_words_only_and_keeps_everything_else(tmp_path):
    out = make(tmp_path, seed=0).augment(TEXTS)
    assert out != TEXTS
    for before, after in zip(TEXTS, out):
        assert skeleton(after) == skeleton(before)
        for old, new in zip(WORD.findall(before), WORD.findall(after)):
            if old != new:
                assert new.lower() in VOCAB and not new.startswith("#")
                assert new.lower() not in STOPWORDS and old.lower() not in STOPWORDS
                assert new.lower() != old.lower()
                if old.isupper() and len(old) > 1:
                    assert new.isupper()
                elif old[0].isupper():
                    assert new[0].isupper()


def test_protected_words_and_stopwords_stay(tmp_path):
    text = ["movie good actors great food weather"]
    out = make(tmp_path, fraction=1.0, protected=["movie", "Food"], seed=0).augment(text)[0].split()
    assert out[0] == "movie" and out[4] == "food"
    assert all(a != b for a, b in zip(out, text[0].split()) if b not in ("movie", "food"))
    stop = ["the and of to"]
    assert make(tmp_path, fraction=1.0).augment(stop) == stop


def test_nothing_replaceable_comes_back_unchanged(tmp_path):
    odd = ["", "   ", "123 456", "!!! ???", "🙂🙂", "a [MASK] trick movie"]
    assert make(tmp_path, fraction=1.0).augment(odd, rng=0) == odd


def test_long_text_edits_only_the_window_and_keeps_the_rest(tmp_path):
    head = "movie good " * 20
    tail = "actors great " * 200
    out = make(tmp_path, fraction=1.0, max_length=32).augment([head + tail], rng=0)[0]
    assert out.endswith(tail) and len(out.split()) == len((head + tail).split())
    assert out[:len(head)] != head


def test_one_forward_pass_per_batch(tmp_path):
    augmenter = make(tmp_path, batch_size=3)
    augmenter.augment(TEXTS[:1], rng=0)  # load the model
    model = augmenter._lm()[0]
    calls = []
    handle = model.base_model.register_forward_hook(lambda m, i, o: calls.append(1))
    try:
        augmenter.augment(TEXTS * 3, rng=0)  # 12 texts, batches of 3
    finally:
        handle.remove()
    assert len(calls) == 4


def test_head_less_model_must_be_fitted(tmp_path):
    augmenter = make(tmp_path, pretrain_steps=0, fit_steps=2)
    augmenter.model = headless_copy(tmp_path / "encoder")
    with pytest.raises(NotFittedError, match="fit"):
        augmenter.augment(TEXTS)
    assert len(augmenter.fit(TEXTS).augment(TEXTS)) == len(TEXTS)


def test_labels_must_fit_the_fitted_classes(tmp_path):
    augmenter = make(tmp_path, fit_steps=2).fit(TEXTS, torch.tensor([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="labels must be in"):
        augmenter.augment(TEXTS, torch.tensor([0, 1, 2, 0]))


def test_label_names_changed_after_a_labelled_fit_are_refused_until_it_is_fitted_again(tmp_path):
    y = torch.tensor([0, 1, 0, 1])
    augmenter = make(tmp_path, fit_steps=2, label_names=["neg", "pos"]).fit(TEXTS, y)
    augmenter.set_params(label_names=["negative", "positive", "neutral"])
    with pytest.raises(ValueError, match=r"fitted after the names \['neg', 'pos'\]: set them back, or fit again"):
        augmenter.augment(TEXTS, y, rng=0)
    assert len(augmenter.augment(TEXTS, rng=0)) == len(TEXTS), "unlabelled: no names used"
    augmenter.save(tmp_path / "m")
    with pytest.raises(ValueError, match="fitted after the names"):
        Augmenter.load(tmp_path / "m").augment(TEXTS, y, rng=0)
    assert len(augmenter.fit(TEXTS, y).augment(TEXTS, y, rng=0)) == len(TEXTS)
    augmenter.set_params(label_names=("negative", "positive", "neutral"))   # a tuple (Dataset.classes): the same
    assert len(augmenter.augment(TEXTS, y, rng=0)) == len(TEXTS)


def test_label_names_are_the_label_set_even_for_classes_absent_from_fit(tmp_path):
    names = ["negative", "neutral", "positive"]
    augmenter = make(tmp_path, fit_steps=2, label_names=names).fit(TEXTS, torch.zeros(4, dtype=torch.long))
    assert len(augmenter.augment(TEXTS, torch.tensor([2, 1, 0, 2]), rng=0)) == len(TEXTS)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\]"):
        augmenter.augment(TEXTS, torch.tensor([0, 1, 3, 0]))
    with pytest.raises(ValueError, match="label_names has 3 names"):
        make(tmp_path, fit_steps=2, label_names=names).fit(TEXTS, torch.tensor([0, 1, 2, 3]))


def test_fit_is_cached(tmp_path, monkeypatch):
    y = torch.tensor([0, 1, 0, 1])
    first = make(tmp_path, fit_steps=3, seed=0).fit(TEXTS, y)
    entries = list((tmp_path / "cache").iterdir())
    assert len(entries) == 1 and (entries[0] / "done.json").is_file()
    assert (entries[0] / "model.safetensors").is_file()
    with monkeypatch.context() as patch:
        patch.setattr("aad.text.adapt.adapt", lambda *a, **k: pytest.fail("the cached fit was redone"))
        second = make(tmp_path, fit_steps=3, seed=0).fit(TEXTS, y)
    assert second.augment(TEXTS, y, rng=1) == first.augment(TEXTS, y, rng=1)
    make(tmp_path, fit_steps=3, seed=7).fit(TEXTS, y)
    assert len(list((tmp_path / "cache").iterdir())) == 2, "another seed is another fit"
    uncached = make(tmp_path, fit_steps=3, seed=0, cache_fit=False).fit(TEXTS, y)
    assert len(list((tmp_path / "cache").iterdir())) == 2, "cache_fit=False writes no model to the cache"
    assert uncached.augment(TEXTS, y, rng=1) == first.augment(TEXTS, y, rng=1), "the same fit, not kept"


def test_cache_root_follows_aad_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("AAD_CACHE", str(tmp_path))
    assert cache_root() == tmp_path / "mlm"
    assert cache_root("/x") == Path("/x")


def test_label_conditioned_fit_makes_fill_ins_follow_the_label(tmp_path):
    bad = ["the movie was bad", "the movie was awful", "the film was bad", "the film was awful"]
    good = ["the movie was good", "the movie was great", "the film was good", "the film was great"]
    x, y = bad + good, torch.tensor([0] * 4 + [1] * 4)
    augmenter = make(tmp_path, fraction=1.0, fit_steps=150, fit_lr=2e-3, protected=["movie", "film"],
                     label_names=["negative", "positive"], top_k=2, seed=0).fit(x, y)
    probe = ["the movie was nice"] * 20
    negative = augmenter.augment(probe, torch.zeros(20, dtype=torch.long), rng=0)
    positive = augmenter.augment(probe, torch.ones(20, dtype=torch.long), rng=0)
    last = [t.split()[-1] for t in negative], [t.split()[-1] for t in positive]
    assert sum(w in ("bad", "awful") for w in last[0]) >= 16, last[0]
    assert sum(w in ("good", "great") for w in last[1]) >= 16, last[1]


def test_fit_depends_on_the_seed_not_on_the_global_rng(tmp_path):
    x, y = TEXTS, torch.tensor([0, 1, 0, 1])
    fills = []
    for noise in (1, 2):
        torch.manual_seed(noise)  # what ran before (dropout draws from torch's global RNG)
        augmenter = make(tmp_path / str(noise), fit_steps=5, seed=0).fit(x, y)
        fills.append(augmenter.fill_mask("the [MASK] was good", k=5))
        assert torch.initial_seed() == noise  # the caller's global RNG is left alone
    assert fills[0] == fills[1]


def test_bad_parameters_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="top_k"):
        make(tmp_path, top_k=0).augment(TEXTS)
    with pytest.raises(ValueError, match="fraction"):
        make(tmp_path, fraction=2).augment(TEXTS)
    with pytest.raises(TypeError, match="list of strings"):
        make(tmp_path).augment("one string")


@pytest.mark.parametrize("params, error", [
    ({"fit_lr": -1.0}, ValueError), ({"fit_steps": -5}, ValueError), ({"fit_steps": 2.5}, ValueError),
    ({"fit_seconds": -1}, ValueError), ({"fit_steps": None, "fit_seconds": 2}, ValueError),
    ({"top_k": True}, ValueError), ({"batch_size": True}, ValueError), ({"pretrain_steps": -1}, ValueError),
    ({"protected": "movie"}, TypeError), ({"label_names": "negative"}, TypeError),
    ({"device": "gpu"}, ValueError), ({"progress": "False"}, TypeError), ({"skip_stopwords": "False"}, TypeError),
])
def test_bad_settings_are_refused_by_name(tmp_path, params, error):
    name = next(iter(params))
    with pytest.raises(error, match=name):
        make(tmp_path, **params).fit(TEXTS, torch.tensor([0, 1, 0, 1]))
    with pytest.raises(error, match=name):
        make(tmp_path, **params).augment(TEXTS)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_cuda_device_without_cuda_says_to_use_the_cpu(tmp_path):
    with pytest.raises(ValueError, match="device is 'cuda'.*use 'cpu'"):
        make(tmp_path, device="cuda").augment(TEXTS)
    make(tmp_path, fit_steps=1).fit(TEXTS).save(tmp_path / "saved")
    config = tmp_path / "saved" / "config.json"
    config.write_text(config.read_text().replace('"device": "cpu"', '"device": "cuda"'))  # saved on a GPU
    with pytest.raises(ValueError, match="device is 'cuda'.*use 'cpu'"):
        MaskedLMReplace.load(tmp_path / "saved")
    assert len(MaskedLMReplace.load(tmp_path / "saved", device="cpu").augment(TEXTS)) == len(TEXTS)


def test_fill_mask_and_save_load_keep_the_fitted_model(tmp_path):
    augmenter = make(tmp_path, fit_steps=2).fit(TEXTS, torch.tensor([0, 1, 0, 1]))
    top = augmenter.fill_mask("the [MASK] was good", k=3)
    assert len(top) == 1 and len(top[0]) == 3
    augmenter.save(tmp_path / "saved")
    loaded = MaskedLMReplace.load(tmp_path / "saved")
    assert loaded.fill_mask("the [MASK] was good", k=3) == top
    assert loaded._num_classes() == 2


@pytest.mark.parametrize("fraction, count", [(0.3, 3), (0.5, 5), (0.04, 1), (1.0, 10)])
def test_fraction_sets_how_many_words_are_replaced(tmp_path, fraction, count):
    text = "movie food restaurant weather city house dog cat car film"   # ten replaceable words
    augmenter = make(tmp_path, fraction=fraction, temperature=0, top_k=1)
    with favouring(augmenter, "happy"):
        out = augmenter.augment([text], rng=0)[0]
    assert out.split().count("happy") == count   # round(fraction * 10), at least one


@pytest.mark.parametrize("model, favourite, text", [
    (tiny_mlm_dir(), "movie", "the movie"),
    (tiny_mlm_dir(), "movie", "the Movíe"),  # uncased: read as 'movie'
    (tiny_roberta_dir(), "Ġmovie", "the movie"),  # byte-level BPE: the candidate is 'Ġmovie'
], ids=["bert", "bert-accented", "roberta"])
def test_the_original_word_is_never_its_own_fill_in(model, favourite, text):
    augmenter = greedy(model)
    with favouring(augmenter, favourite):
        out = augmenter.augment([text], rng=0)[0]
    assert out.split()[-1].lower() not in ("movie", "movíe"), out


def test_byte_level_bpe_fill_ins_are_decoded_words():
    from transformers import AutoTokenizer

    words, allowed = vocab_words(AutoTokenizer.from_pretrained(tiny_roberta_dir()))
    fill_ins = {w for w, ok in zip(words, allowed.tolist()) if ok}
    assert {"aquí", "café", "movie"} <= fill_ins
    assert not [w for w in fill_ins if set(w) & set("ĠÃâĢŃľ")]
    augmenter = greedy(tiny_roberta_dir())
    with favouring(augmenter, "ĠaquÃŃ"):
        assert augmenter.augment(["the movie"], rng=0) == ["the aquí"]


def test_an_ideograph_alone_may_fill_in_a_letter_alone_may_not(tmp_path):
    # Chinese is planned character by character: with only words of two letters or more allowed,
    # every fill-in was English ("我非常喜欢" -> "movie非常喜film")
    from transformers import BertTokenizer

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "我", "电", "影", "b", "x", "movie", "us", "##s"]
    BertTokenizer(vocab={t: i for i, t in enumerate(vocab)}).save_pretrained(tmp_path)
    words, allowed = vocab_words(BertTokenizer.from_pretrained(tmp_path))
    assert {w for w, ok in zip(words, allowed.tolist()) if ok} == {"我", "电", "影", "movie"}


def test_fill_ins_keep_the_script_of_the_word_they_replace(tmp_path):
    # an English model's Latin words went into Chinese ("我喜欢这部电影" -> "st喜car这carbest影") and Arabic
    from transformers import BertConfig, BertForMaskedLM, BertTokenizer

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "我", "电", "影", "看", "movie", "film", "good", "great",
             "す", "て", "カ"]
    BertTokenizer(vocab={t: i for i, t in enumerate(vocab)}).save_pretrained(tmp_path)
    torch.manual_seed(0)
    BertForMaskedLM(BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                               intermediate_size=32, max_position_embeddings=32)).save_pretrained(tmp_path)
    augmenter = MaskedLMReplace(model=str(tmp_path), fraction=1.0, top_k=4, progress=False)
    chinese, english, arabic, kana = augmenter.augment(["我看电影", "good movie", "مرحبا بالعالم", "すカ"], rng=0)
    assert chinese != "我看电影" and set(chinese) <= set("我电影看"), "kana went into Chinese"
    assert kana[0] in "すて" and kana[1] == "カ", "hiragana for hiragana; no other katakana to put in"
    assert english != "good movie" and set(english.split()) <= {"movie", "film", "good", "great"}
    assert arabic == "مرحبا بالعالم", "no Arabic word to put in: left as it was"


def test_a_tiny_temperature_picks_the_best_word_as_temperature_0_does():
    texts = ["the movie was really good", "she drove her old car to work"]
    sharp = MaskedLMReplace(model=tiny_mlm_dir(), fraction=1.0, temperature=1e-45, top_k=5, progress=False)
    assert sharp.augment(texts, rng=0) == greedy(tiny_mlm_dir()).augment(texts, rng=0)   # was NaN probabilities


def test_output_layer_wider_than_the_tokenizer():
    out = greedy(tiny_mlm_dir(padded_outputs=13)).augment(["the movie was really good"], rng=0)[0]
    assert all(word in VOCAB for word in out.split()) and out != "the movie was really good"


def test_a_literal_mask_token_leaves_the_later_texts_exclusion_in_place():
    augmenter = greedy(tiny_mlm_dir())
    with favouring(augmenter, "movie"):
        out = augmenter.augment(["see [MASK] here", "the movie"], rng=0)
    assert out[0] == "see [MASK] here" and out[1] != "the movie"


def test_fit_and_augment_read_the_text_as_the_same_segment(tmp_path, monkeypatch):
    seen = {"fit": set(), "augment": set()}

    def recording(phase, real):
        def masked_logits(model, batch, positions):
            types = batch.get("token_type_ids")
            seen[phase].add(None if types is None else tuple(sorted(set(types.flatten().tolist()))))
            return real(model, batch, positions)
        return masked_logits

    monkeypatch.setattr(adapt_module, "masked_logits", recording("fit", adapt_module.masked_logits))
    monkeypatch.setattr(masked_lm_module, "masked_logits", recording("augment", masked_lm_module.masked_logits))
    y = torch.tensor([0, 1, 0, 1])
    make(tmp_path, fit_steps=2, label_names=["negative", "positive"], seed=0).fit(TEXTS, y).augment(TEXTS, y, rng=0)
    assert seen["fit"] == seen["augment"] == {(0, 1)}


def test_fit_on_the_cpu_leaves_the_gpu_generators_alone(tmp_path, monkeypatch):
    tiny_mlm_dir()  # the fixture seeds torch itself
    reseeded = []
    monkeypatch.setattr(torch.cuda, "manual_seed_all", reseeded.append)
    make(tmp_path, fit_steps=2, seed=0).fit(TEXTS, torch.tensor([0, 1, 0, 1]))
    assert not reseeded


def test_set_params_model_loads_the_new_model():
    text = ["the movie was really good and the actors were great"]
    augmenter = greedy(tiny_mlm_dir())
    augmenter.augment(text, rng=0)  # loads the first model
    augmenter.set_params(model=tiny_roberta_dir())
    assert augmenter.augment(text, rng=0) == greedy(tiny_roberta_dir()).augment(text, rng=0)


def test_a_saved_model_needs_nothing_from_the_model_folder(tmp_path):
    from safetensors import safe_open
    base = tmp_path / "base"
    shutil.copytree(tiny_mlm_dir(), base)
    augmenter = MaskedLMReplace(model=str(base), fit_steps=2, cache_dir=str(tmp_path / "cache"), progress=False,
                                seed=0).fit(TEXTS)
    augmenter.save(tmp_path / "saved")
    shutil.rmtree(base)
    shutil.rmtree(tmp_path / "cache")
    loaded = MaskedLMReplace.load(tmp_path / "saved")
    assert loaded.augment(TEXTS, rng=1) == augmenter.augment(TEXTS, rng=1)
    with safe_open(str(tmp_path / "saved" / "model.safetensors"), framework="pt") as f:
        names = set(f.keys())
    assert not any("decoder.weight" in name for name in names), "a tied tensor is stored once"
    loaded._tokenizer = None  # as after loading an older save, which read the tokenizer from model=
    with pytest.raises(FileNotFoundError, match="saved without its tokenizer"):
        loaded.augment(TEXTS)


@pytest.mark.parametrize("model", [tiny_mlm_dir(), tiny_roberta_dir()], ids=["bert", "roberta"])
def test_max_length_is_capped_by_the_models_positions(model):
    text = "movie good " * 10 + "actors great " * 100  # past the 64 (BERT) and 78 (RoBERTa) tokens they read
    augmenter = MaskedLMReplace(model=model, fraction=1.0, max_length=1024, progress=False)
    out = augmenter.augment([text, "the movie"], rng=0)
    assert out[0].endswith("actors great " * 60) and out[1] != "the movie"
    assert len(augmenter.fill_mask("the [MASK] was good " + text)) == 1
    if model == tiny_mlm_dir():  # (the tiny BPE's mask token takes its space along: its masks overflow)
        assert not out[0].startswith("movie good ")


def test_loading_fitting_and_a_first_augment_leave_the_global_rng_alone(tmp_path):
    base = headless_copy(tmp_path / "encoder")
    fitted = make(tmp_path, fit_steps=1, pretrain_steps=0, seed=0)
    fitted.model = base
    steps = {"augment": lambda: make(tmp_path, seed=0).augment(TEXTS),
             "fit": lambda: fitted.fit(TEXTS),
             "load": lambda: MaskedLMReplace.load(tmp_path / "saved")}
    for name, step in steps.items():
        torch.manual_seed(123)
        expected = torch.rand(3)
        torch.manual_seed(123)
        step()
        assert torch.equal(torch.rand(3), expected), name
        if name == "fit":
            fitted.save(tmp_path / "saved")


@pytest.mark.parametrize("family", ["Albert", "Electra"])
def test_head_less_albert_and_electra_must_be_fitted(tmp_path, family):
    import transformers
    config = getattr(transformers, f"{family}Config")(
        vocab_size=len(VOCAB), embedding_size=16, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64)
    headless_copy(tmp_path)  # the tokenizer; the BERT encoder is replaced by this family's
    (tmp_path / "model.safetensors").unlink()
    getattr(transformers, f"{family}Model")(config).save_pretrained(tmp_path)
    with pytest.raises(NotFittedError, match="no masked-LM head"):
        MaskedLMReplace(model=str(tmp_path), progress=False).augment(TEXTS)


@pytest.mark.parametrize("model", [tiny_mlm_dir(), tiny_roberta_dir()], ids=["bert", "roberta"])
def test_literal_special_tokens_are_never_edited(model):
    texts = ["good [SEP] movie", "the [CLS] film", "an [UNK] day", "pad [PAD] here", "one <s> big </s> cat <unk> dog"]
    augmenter = greedy(model)
    outs = augmenter.augment(texts, rng=0)
    specials = augmenter._lm()[1].all_special_tokens  # "[SEP]" is no special token of RoBERTa's
    for text, out in zip(texts, outs):
        assert out != text, text
        for token in specials:
            assert text.count(token) == out.count(token), (text, out)


@pytest.mark.parametrize("model", [tiny_mlm_dir(), tiny_roberta_dir()], ids=["bert", "roberta"])
def test_a_possessive_keeps_its_s(model):
    texts = ["the movie's ending", "John’s car", "the actors' salaries"]
    outs = greedy(model).augment(texts, rng=0)   # every word replaced
    assert re.fullmatch(r"\S+ \S+'s \S+", outs[0]) and "movie" not in outs[0], outs[0]
    assert re.fullmatch(r"\S+’s \S+", outs[1]) and "John" not in outs[1], outs[1]
    assert re.fullmatch(r"\S+ \S+' \S+", outs[2]), "a plural possessive: the apostrophe is no part of the word"


@pytest.mark.parametrize("family", ["Bert", "Roberta", "DistilBert", "Albert", "Electra"])
def test_every_family_s_head_gets_the_head_learning_rate(family):
    """The fit's larger head step reaches each family's head, whatever its attribute is called
    (``cls``, ``lm_head``, ``vocab_*``, ALBERT's ``predictions``, ELECTRA's ``generator_*``)."""
    import transformers
    config = getattr(transformers, f"{family}Config")(
        vocab_size=len(VOCAB), embedding_size=16, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64, dim=32, n_layers=1, n_heads=2, hidden_dim=64)
    model = getattr(transformers, f"{family}ForMaskedLM")(config)
    head = {id(p) for p in head_parameters(model)}
    encoder = {id(p) for p in model.base_model.parameters()}
    assert head and not head & encoder
    assert id(model.get_input_embeddings().weight) not in head   # a tied decoder trains with the encoder
    assert head | encoder == {id(p) for p in model.parameters()}


def test_a_max_length_with_no_room_for_a_word_is_refused(tmp_path):
    """Below [CLS] + [SEP] + one word a tokenizer ignores the limit (max_length=1 edited the whole
    text); with label prefixes, [CLS] label [SEP] ... [SEP] + one word, it failed inside transformers."""
    text = ["I did not like the food"]
    with pytest.raises(ValueError, match=r"max_length must be >= 3 for this model \(its special tokens"):
        make(tmp_path, max_length=2).augment(text, rng=0)
    labelled = make(tmp_path, max_length=4, label_names=["negative"], fit_steps=1)
    with pytest.raises(ValueError, match=r"max_length must be >= 5 for this model and label prefix"):
        labelled.fit(text, [0])
    # the smallest window holds one word: "[CLS] The [SEP]" (a stopword, kept), then "The movie"
    assert greedy(tiny_mlm_dir(), max_length=3).augment(TEXTS[:1], rng=0) == TEXTS[:1]
    words, out = TEXTS[0].split(), greedy(tiny_mlm_dir(), max_length=4).augment(TEXTS[:1], rng=0)[0].split()
    assert out[1] != words[1] and out[:1] + out[2:] == words[:1] + words[2:]


@pytest.mark.parametrize("model, error, match", [
    (3, TypeError, "model must be a Hugging Face model name or a folder"),   # went to the hub, offline
    ("./typo_folder", FileNotFoundError, "model folder './typo_folder' does not exist"),
    ("/no/such/folder", FileNotFoundError, "model folder '/no/such/folder' does not exist"),
    ("~/models/mlm", ValueError, "expand the ~ first"),   # transformers took it for a hub name
    (Path("/models/mlm"), TypeError, r"pass str\(PosixPath"),
])
def test_a_model_that_is_no_name_or_folder_is_named(model, error, match):
    with pytest.raises(error, match=match):
        MaskedLMReplace(model=model, progress=False).fit(TEXTS)


def test_a_label_name_too_long_for_the_window_is_named(tmp_path):
    # the tokenizer failed: "Sequence to truncate too short to respect the provided max_length"
    augmenter = make(tmp_path, label_names=["good " * 62, "bad"], fit_steps=2)
    with pytest.raises(ValueError, match="label_names: the longest label prefix takes 62 tokens"):
        augmenter.fit(TEXTS[:2], torch.tensor([0, 1]))


def test_fill_mask_names_a_bad_text_or_k(tmp_path):
    augmenter = make(tmp_path, fit_steps=0).fit(TEXTS)
    with pytest.raises(TypeError, match="text must be a str"):
        augmenter.fill_mask(["the [MASK] was good"])
    with pytest.raises(ValueError, match=r"k must be an int in \[1, "):
        augmenter.fill_mask("the [MASK] was good", k=10**6)

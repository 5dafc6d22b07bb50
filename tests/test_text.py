"""Vietnamese text helpers: NFC, folding and slugs."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learningcity.text import fold, nfc, slugify, strip_diacritics


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Nghĩa Lộ", "nghia-lo"),
        ("Yên Bái", "yen-bai"),
        ("Thành phố Hồ Chí Minh", "thanh-pho-ho-chi-minh"),
        ("Đồng Tháp", "dong-thap"),
        ("Mù Cang Chải", "mu-cang-chai"),
        ("../../x", "x"),
        ('a"b\nc', "a-b-c"),
        ("", "unit"),
        ("...", "unit"),
        ("/etc/passwd", "etc-passwd"),
    ],
)
def test_slugify_known_cases(name, slug):
    assert slugify(name) == slug


def test_nfd_and_nfc_fold_to_the_same_key():
    name = "Nghĩa Lộ"
    assert fold(unicodedata.normalize("NFD", name)) == fold(name) == "nghia lo"
    assert nfc(unicodedata.normalize("NFD", name)) == name


def test_d_with_stroke_is_folded():
    assert strip_diacritics("Đắk Lắk") == "Dak Lak"


@given(st.text())
def test_slug_is_always_a_safe_file_name(text):
    slug = slugify(text)
    assert slug
    assert set(slug) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert not slug.startswith("-") and not slug.endswith("-")
    assert "--" not in slug and len(slug) <= 60

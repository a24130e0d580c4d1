import pytest
from django.core.exceptions import ValidationError

from archive_site.models import Record
from archive_site.text import normalise_text, text_checksum, year_of

from .factories import DocumentFactory, RecordFactory

pytestmark = pytest.mark.django_db


def test_document_text_is_normalised_and_checksummed_on_save():
    document = DocumentFactory(text="\ufeffline one\r\nline two\rCafe\u0301")
    document.refresh_from_db()
    assert document.text == "line one\nline two\nCaf\u00e9"
    assert document.checksum == text_checksum(document.text)
    assert document.checksum.startswith("sha256:")


def test_offsets_are_code_point_indices_even_outside_the_bmp():
    document = DocumentFactory(text="\U0001F600 Zinoviev")
    assert document.text[2:10] == "Zinoviev"


@pytest.mark.parametrize("value,year", [("1937", 1937), ("1937-06", 1937), ("1937-06-11", 1937), ("", None), ("June", None)])
def test_partial_dates_give_a_year(value, year):
    assert year_of(value) == year


def test_invalid_partial_date_fails_validation():
    document = DocumentFactory.build(date="11/06/1937")
    with pytest.raises(ValidationError) as excinfo:
        document.full_clean()
    assert "date" in excinfo.value.message_dict


def test_record_aliases_are_cleaned_and_searchable_by_prefix():
    record = RecordFactory(label="Georgy Pyatakov", aliases=["Piatakov", " Piatakov ", "Georgy Pyatakov", ""])
    assert record.aliases == ["Piatakov"]
    assert list(Record.objects.matching("piat")) == [record]
    assert list(Record.objects.matching("PYAT")) == [record]
    assert list(Record.objects.matching("georgy pya")) == [record]
    assert list(Record.objects.matching("takov")) == []
    assert list(Record.objects.matching("   ")) == []


def test_normalise_text_leaves_web_page_residue_alone():
    assert normalise_text("top of page\n??? text") == "top of page\n??? text"

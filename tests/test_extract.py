from __future__ import annotations

import pytest

from newsdesk.errors import DecodeError, EmptyDocument
from newsdesk.ingest.extract import decode_bytes, extract_html

# 镕 and 喆 are in GBK but not in GB2312: pages that declare gb2312 use them.
BODY = "<p>包头稀土高新区签约五个稀土新材料项目，朱镕基时代规划的产业园区由陶喆参观。</p>" * 3


def page(charset: str) -> str:
    return (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f"<title>包头稀土</title></head><body><article><h1>包头稀土</h1>{BODY}"
        "<p>来源：包头日报</p></article></body></html>"
    )


@pytest.mark.parametrize("declared", ["gb2312", "gbk", "GB18030"])
def test_gb_pages_decode_right_even_with_gbk_only_characters(declared: str) -> None:
    data = page(declared).encode("gbk")
    text = decode_bytes(data, "page.html")
    assert "朱镕基" in text
    assert "陶喆" in text


def test_undeclared_gbk_page_is_detected() -> None:
    data = page("x").replace('charset=x"', '"').encode("gb18030")
    assert "稀土高新区" in decode_bytes(data, "page.html")


def test_http_header_charset_is_used_when_it_decodes() -> None:
    data = "<html><body><p>稀土永磁体</p></body></html>".encode("gbk")
    assert "稀土永磁体" in decode_bytes(data, "u", declared="gbk")


def test_wrong_declaration_falls_back_to_detection() -> None:
    data = page("utf-8").encode("gbk")  # says utf-8, is GBK
    assert "稀土高新区" in decode_bytes(data, "page.html")


def test_undecodable_bytes_raise_decode_error_naming_the_input() -> None:
    with pytest.raises(DecodeError, match=r"blob\.html"):
        decode_bytes(bytes(range(128, 256)) * 50, "blob.html")


def test_extract_finds_title_paragraphs_and_source_line() -> None:
    found = extract_html(page("utf-8"), "page.html")
    assert found.title == "包头稀土"
    assert any("稀土新材料项目" in p for p in found.paragraphs)
    assert found.sitename == "包头日报"


def test_page_without_text_is_an_empty_document() -> None:
    with pytest.raises(EmptyDocument, match=r"empty\.html"):
        extract_html("<html><body><nav>Home</nav></body></html>", "empty.html")

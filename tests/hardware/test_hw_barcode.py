"""Scanner line splitting, AIM ids, S10/SSCC check digits and classification."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.errors import FrameError
from hardware.protocols import barcode as bc

GS = "\x1d"


@pytest.mark.parametrize("suffix, stream", [
    ("auto", b"ABC\rDEF\r"), ("auto", b"ABC\nDEF\n"), ("auto", b"ABC\r\nDEF\r\n"),
    ("\r", b"ABC\rDEF\r"), ("\n", b"ABC\nDEF\n"), ("\r\n", b"ABC\r\nDEF\r\n"),
])
def test_splits_on_each_suffix(suffix, stream):
    assert bc.LineSplitter(suffix).feed(stream) == [b"ABC", b"DEF"]


@pytest.mark.parametrize("suffix", ["auto", "\r\n"])
def test_crlf_split_across_reads_gives_one_line_each(suffix):
    splitter = bc.LineSplitter(suffix)
    lines = [line for chunk in (b"ABC\r", b"\nDEF\r", b"\n") for line in splitter.feed(chunk)]
    assert lines == [b"ABC", b"DEF"]


def test_partial_line_waits_for_its_suffix():
    splitter = bc.LineSplitter()
    assert splitter.feed(b"CP1234") == []
    assert splitter.feed(b"56785SE\r") == [b"CP123456785SE"]


def test_empty_lines_are_dropped():
    assert bc.LineSplitter().feed(b"\r\r\n\nX\r\r") == [b"X"]


@pytest.mark.parametrize("suffix", ["auto", "\r"])
def test_overlong_line_is_thrown_away_up_to_its_suffix(suffix):
    splitter = bc.LineSplitter(suffix, max_length=8)
    assert splitter.feed(b"0123456789") == []
    assert splitter.feed(b"ABCDEF\rOK\r") == [b"OK"] and splitter.overflowed == 1


def test_unknown_suffix_is_refused():
    with pytest.raises(ValueError):
        bc.LineSplitter("\t")


@given(st.lists(st.text(alphabet="0123456789ABCDEFGHIJ]", min_size=1, max_size=20),
                max_size=8), st.sampled_from(["\r", "\n", "\r\n"]), st.integers(1, 7))
def test_auto_splitter_recovers_lines_however_the_bytes_are_chunked(lines, suffix, size):
    stream = "".join(line + suffix for line in lines).encode()
    splitter = bc.LineSplitter()
    got = [x for i in range(0, len(stream), size) for x in splitter.feed(stream[i:i + size])]
    assert got == [line.encode() for line in lines]


@pytest.mark.parametrize("line, aim, rest", [
    (b"]C1003735", "]C1", b"003735"), (b"]C0ABC", "]C0", b"ABC"),
    (b"]E07310000000001", "]E0", b"7310000000001"), (b"]d2010", "]d2", b"010"),
    (b"]Q1https://x", "]Q1", b"https://x"), (b"CP123456785SE", None, b"CP123456785SE"),
    (b"]", None, b"]"),
])
def test_parse_aim(line, aim, rest):
    assert bc.parse_aim(line) == (aim, rest)


def test_decode_text_falls_back_to_latin1():
    assert bc.decode_text("Åsa".encode()) == "Åsa"
    assert bc.decode_text(b"\xc5sa") == "Åsa"


@pytest.mark.parametrize("code, valid", [
    ("RB123456785GB", True), ("RB123456786US", False),
    ("CP123456785SE", True), ("CP473124829SE", True),
    ("CP123456784SE", False), ("cp123456785se", False), ("CP12345678SE", False),
])
def test_s10_validation(code, valid):
    assert bc.is_valid_s10(code) is valid


@pytest.mark.parametrize("serial, digit", [("12345678", 5), ("47312482", 9)])
def test_s10_check_digit(serial, digit):
    assert bc.s10_check_digit(serial) == digit


def test_s10_special_cases_10_to_0_and_11_to_5():
    # weighted sum % 11 == 1 gives c = 10 -> 0; == 0 gives c = 11 -> 5
    weights_sum = lambda s: sum(int(d) * w for d, w in zip(s, bc.S10_WEIGHTS, strict=True))  # noqa: E731
    r0 = next(f"{n:08d}" for n in range(10**4) if weights_sum(f"{n:08d}") % 11 == 0)
    r1 = next(f"{n:08d}" for n in range(10**4) if weights_sum(f"{n:08d}") % 11 == 1)
    assert bc.s10_check_digit(r0) == 5 and bc.s10_check_digit(r1) == 0


def test_sscc_check_digits():
    assert bc.sscc_check_digit("37350049000000001") == 6
    assert bc.is_valid_sscc("373500490000000016")
    assert bc.is_valid_sscc("106141412345678908")
    assert not bc.is_valid_sscc("106141412345678907")
    assert not bc.is_valid_sscc("10614141234567890")


def test_parse_gs1_with_group_separator():
    data = "421075298132" + GS + "00373500490000000016"
    assert bc.parse_gs1(data) == {"421": "075298132", "00": "373500490000000016"}


def test_parse_gs1_fixed_fields_need_no_separator():
    assert bc.parse_gs1("00373500490000000016" + "11251231") == {
        "00": "373500490000000016", "11": "251231"}
    assert bc.parse_gs1("01073100000000001512310110ABC") == {
        "01": "07310000000000", "15": "123101", "10": "ABC"}


@pytest.mark.parametrize("data", ["99X", "00123", "00" + "1" * 18 + GS + "99X"])
def test_parse_gs1_rejects_unknown_or_truncated(data):
    with pytest.raises(FrameError):
        bc.parse_gs1(data)


@pytest.mark.parametrize("data, aim, expected", [
    ("RB123456785GB", None, bc.Barcode("s10", "RB123456785GB", True)),
    ("CP473124829SE", None, bc.Barcode("s10", "CP473124829SE", True)),
    ("373500490000000016", None, bc.Barcode("sscc", "373500490000000016", True)),
    ("00373500490000000016", "]C1", bc.Barcode("sscc", "373500490000000016", True)),
    ("00373500490000000016", None, bc.Barcode("sscc", "373500490000000016", True)),
    ("421075298132" + GS + "00373500490000000016", "]C1",
     bc.Barcode("sscc", "373500490000000016", True)),
    ("(00)106141412345678908", None, bc.Barcode("sscc", "106141412345678908", True)),
])
def test_classify_valid(data, aim, expected):
    assert bc.classify(data, aim) == expected


@pytest.mark.parametrize("data, kind", [
    ("RB123456786US", "s10"), ("00373500490000000017", "sscc"), ("373500490000000015", "sscc"),
])
def test_classify_invalid_check_digit_says_why(data, kind):
    result = bc.classify(data)
    assert (result.kind, result.valid) == (kind, False) and "check digit" in result.reason


@pytest.mark.parametrize("data", ["hello", "", "7310000000001", "]C1", "JJD0099999999"])
def test_classify_unknown(data):
    result = bc.classify(data)
    assert (result.kind, result.valid) == ("unknown", False) and result.reason

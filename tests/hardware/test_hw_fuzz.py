"""Random bytes into every decoder: no exception escapes and no frame is invented.

"Invented" means a frame whose encoding does not occur in the input, or one that fails
its checksum. A valid frame after garbage is still found (resynchronisation).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as s

from hardware.protocols import barcode, escpos_status, kerong, pn532, rdm6300, wkly
from hardware.protocols.escpos_stream import EscPosTokenizer

FUZZ = settings(max_examples=300, deadline=None)
chunks = s.lists(s.binary(max_size=40), max_size=8)


def feed_all(decoder, parts: list[bytes]) -> list:
    return [event for part in parts for event in decoder.feed(part)]


def no_byte(*excluded: int):
    return s.binary(max_size=30).map(lambda b: bytes(x for x in b if x not in excluded))


@FUZZ
@given(chunks)
def test_kerong_never_invents_a_frame(parts):
    data = b"".join(parts)
    for frame in feed_all(kerong.KerongDecoder(), parts):
        assert frame.to_bytes() in data


@FUZZ
@given(no_byte(kerong.STX), s.integers(0, 15), s.integers(1, 16), no_byte(kerong.STX))
def test_kerong_resyncs_after_garbage(before, board, lock, after):
    frame = kerong.encode_unlock(board, lock)
    assert kerong.KerongDecoder().feed(before + frame + after) == [kerong.decode_frame(frame)]


def _pn532_bytes(event) -> bytes:
    if isinstance(event, pn532.Frame):
        return pn532.encode_frame(event.data, event.tfi)[1:-1]  # without pre/postamble
    return {pn532.Ack: pn532.ACK, pn532.Nack: pn532.NACK,
            pn532.ErrorFrame: pn532.ERROR_FRAME}[type(event)][1:-1]


@FUZZ
@given(chunks)
def test_pn532_never_invents_a_frame(parts):
    data = b"".join(parts)
    for event in feed_all(pn532.PN532Decoder(), parts):
        assert _pn532_bytes(event) in data


@FUZZ
@given(no_byte(0x00), s.binary(min_size=1, max_size=300), no_byte(0x00))
def test_pn532_resyncs_after_garbage_including_extended_frames(before, params, after):
    frame = pn532.encode_response(pn532.CMD_IN_LIST_PASSIVE_TARGET, params)
    events = pn532.PN532Decoder().feed(before + frame + after)
    assert pn532.Frame(pn532.PN532_TFI, bytes([0x4B]) + params) in events


@FUZZ
@given(chunks)
def test_wkly_never_invents_a_frame(parts):
    data = b"".join(parts)
    for frame in feed_all(wkly.WklyDecoder(), parts):
        assert frame.to_bytes() in data


@FUZZ
@given(no_byte(ord("W")), s.integers(0, 31), s.lists(s.booleans(), max_size=24), no_byte(ord("W")))
def test_wkly_resyncs_after_garbage(before, board, states, after):
    frame = wkly.encode_all_reply(board, states)
    assert wkly.WklyDecoder().feed(before + frame + after) == [wkly.decode_frame(frame)]


@FUZZ
@given(s.lists(s.binary(max_size=30) | s.sampled_from([b"\x02", b"\x03", b"67003B51C6CB"]),
               max_size=10))
def test_rdm6300_never_invents_a_tag(parts):
    data = b"".join(parts).upper()
    for tag in feed_all(rdm6300.Rdm6300Decoder(), parts):
        assert rdm6300.encode_tag(tag) in data


@FUZZ
@given(no_byte(rdm6300.STX), s.integers(0, 255), s.integers(0, 2**32 - 1), no_byte(rdm6300.STX))
def test_rdm6300_resyncs_after_garbage(before, version, card_id, after):
    tag = rdm6300.Tag(version, card_id)
    assert rdm6300.Rdm6300Decoder().feed(before + rdm6300.encode_tag(tag) + after) == [tag]


@FUZZ
@given(s.lists(s.integers(1, 4), max_size=6), chunks)
def test_escpos_status_reports_only_status_bytes_for_asked_queries(queries, parts):
    decoder = escpos_status.StatusDecoder()
    for n in queries:
        decoder.expect(n)
    replies = feed_all(decoder, parts)
    assert len(replies) <= len(queries)
    assert [r.n for r in replies] == queries[:len(replies)]
    assert all(escpos_status.is_status_byte(r.value) for r in replies)
    escpos_status.merge(replies)  # never raises on what the decoder gives


@FUZZ
@given(chunks)
def test_escpos_tokenizer_accounts_for_every_byte_it_consumes(parts):
    tokens = feed_all(EscPosTokenizer(), parts)
    assert sum(1 for t in tokens if t.kind == "lf") <= b"".join(parts).count(b"\n")


@FUZZ
@given(s.sampled_from(["auto", "\r", "\n", "\r\n"]), chunks)
def test_scanner_lines_and_classification_never_raise(suffix, parts):
    for line in feed_all(barcode.LineSplitter(suffix), parts):
        aim, payload = barcode.parse_aim(line)
        barcode.classify(barcode.decode_text(payload), aim)

"""ESC/POS: the DLE EOT status codec, the stream tokenizer, the printer simulator, and
EscPosPrinter (python-escpos output + our status) over a pty."""

from __future__ import annotations

import pytest
from escpos.printer import Dummy
from escpos.printer import Serial as EscposSerial

from hardware.devices.models import PRINTER_MODELS
from hardware.devices.printer import EscPosPrinter, Receipt
from hardware.errors import DeviceRefused, DeviceTimeout, DeviceUnavailable, FrameError
from hardware.protocols import escpos_status as st
from hardware.protocols.escpos_stream import EscPosTokenizer, Token
from hardware.sim.printer import PrinterSim

RECEIPT = Receipt("Lanthandeln", ("Hämta paket", "Åsa Öberg, ärende 7"), qr="SE-PARCEL-123")


# --- status codec ---------------------------------------------------------------------

def test_queries_and_fixed_bits():
    assert [st.encode_query(n) for n in (1, 2, 3, 4)] == [b"\x10\x04" + bytes([n]) for n in (1, 2, 3, 4)]
    with pytest.raises(ValueError):
        st.encode_query(5)
    with pytest.raises(FrameError):
        st.decode_reply(1, 0x13)  # bit 0 set: not a status byte


@pytest.mark.parametrize("replies,expected", [
    ({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}, st.PrinterStatus()),
    ({1: 0x1A}, st.PrinterStatus(online=False)),
    ({2: 0x16}, st.PrinterStatus(cover_open=True)),
    ({2: 0x32, 4: 0x72}, st.PrinterStatus(paper_stop=True, paper=st.Paper.OUT)),
    ({4: 0x1E}, st.PrinterStatus(paper=st.Paper.NEAR_END)),
    ({3: 0x1A}, st.PrinterStatus(cutter_error=True)),
    ({3: 0x32}, st.PrinterStatus(unrecoverable_error=True)),
])
def test_reply_bits(replies, expected):
    assert st.merge([st.decode_reply(n, v) for n, v in replies.items()]) == expected


def test_encode_reply_round_trips_and_matches_python_escpos_constants():
    status = st.PrinterStatus(online=False, cover_open=True, paper=st.Paper.OUT, paper_stop=True)
    replies = [st.StatusReply(n, st.encode_reply(n, status)) for n in st.QUERIES]
    assert st.merge(replies) == status
    assert st.encode_reply(4, st.PrinterStatus(paper=st.Paper.OUT)) == 0x72
    assert st.encode_reply(4, st.PrinterStatus(paper=st.Paper.NEAR_END)) == 0x1E
    assert st.PrinterStatus().problems == () and "cover open" in status.problems


def test_decoder_pairs_replies_with_queries_and_skips_noise():
    decoder = st.StatusDecoder()
    decoder.expect(1)
    decoder.expect(4)
    assert decoder.feed(b"\xff\x00\x12") == [st.StatusReply(1, 0x12)]
    assert decoder.feed(b"\x72\x12") == [st.StatusReply(4, 0x72)]  # the second: unasked
    assert decoder.discarded == 3


# --- tokenizer --------------------------------------------------------------------------

def test_tokenizer_reads_python_escpos_output_split_anywhere():
    dummy = Dummy(profile="TM-T88III")
    dummy.charcode("CP858")
    dummy.textln("Hämta")
    dummy.qr("SE-1", native=True, size=4)
    dummy.cut()
    raw = dummy.output + b"\x10\x04\x02"
    tokenizer = EscPosTokenizer()
    tokens = [t for b in raw for t in tokenizer.feed(bytes([b]))]
    assert Token("cmd", b"\x13", "ESC t") in tokens
    assert b"".join(t.data for t in tokens if t.kind == "text") == "Hämta".encode("cp858")
    assert Token("status", b"\x02", "DLE EOT") == tokens[-1]
    assert [t.name for t in tokens if t.kind == "cmd"].count("GS (") == 5
    assert tokens[-2] == Token("cmd", b"\x00", "GS V")


# --- driver against the simulator over a pty ------------------------------------------

@pytest.fixture
def psim():
    return PrinterSim()


@pytest.fixture
def ppty(harness, psim):
    return harness(psim)


@pytest.fixture
def printer(ppty):
    with EscPosPrinter(ppty.port, timeout=0.3) as driver:
        yield driver


def test_receipt_prints_swedish_text_qr_and_cut(printer, psim):
    report = printer.print_receipt(RECEIPT)
    assert report.outcome == "printed"
    (receipt,) = psim.receipts
    assert receipt.lines == ["Lanthandeln", "Hämta paket", "Åsa Öberg, ärende 7"]
    assert receipt.qr_codes == [b"SE-PARCEL-123"] and receipt.cut


def test_code_page_is_model_data(ppty, psim):
    with EscPosPrinter(ppty.port, model=PRINTER_MODELS["generic-58mm"], baudrate=19200) as driver:
        driver.print_receipt(Receipt("Öppet", ("å ä ö",)))
    assert psim.receipts[0].lines == ["Öppet", "å ä ö"]
    assert b"\x1bt\x10" in bytes(ppty.received)  # ESC t 16: WPC1252


def test_status_reports_paper_and_cover(printer, psim):
    assert printer.status() == st.PrinterStatus()
    psim.set_paper("near-end")
    assert printer.status().paper is st.Paper.NEAR_END and printer.status().can_print
    psim.set_cover(True)
    status = printer.status()
    assert status.cover_open and not status.online and status.problems == ("offline", "cover open")


def test_printing_without_paper_is_refused_and_sends_nothing(printer, psim, ppty):
    psim.set_paper("out")
    with pytest.raises(DeviceRefused, match="paper out"):
        printer.print_receipt(RECEIPT)
    assert b"Lanthandeln" not in bytes(ppty.received)


def test_cover_opened_mid_job_is_waiting_and_prints_once_after_closing(printer, psim, ppty):
    class OpenCoverAfterFirstBytes:
        def __init__(self, inner):
            self.inner, self.done = inner, False

        def feed(self, data):
            if not self.done and b"Lanthandeln" in data:
                self.done = True
                psim.set_cover(True)  # someone opens the cover as the job arrives
            return self.inner.feed(data)

    ppty.simulator = OpenCoverAfterFirstBytes(psim)
    report = printer.print_receipt(RECEIPT)
    assert report.outcome == "waiting" and "cover open" in report.detail
    assert list(psim.receipts) == []
    psim.set_cover(False)
    assert len(psim.receipts) == 1  # the printer's buffer printed it: once, by itself


def test_a_silent_printer_times_out(printer, ppty):
    ppty.no_reply = True
    with pytest.raises(Exception, match="no reply|status"):
        printer.status()


def test_unplug_mid_job_is_unknown_then_recovers(tmp_path, harness, psim):
    pty = harness(psim, link=str(tmp_path / "ttyPRN"))

    class UnplugOnText:
        def feed(self, data):
            if b"Lanthandeln" in data:
                pty.unplug()
                return b""
            return psim.feed(data)

    with EscPosPrinter(pty.port, timeout=0.3) as driver:
        pty.simulator = UnplugOnText()
        report = driver.print_receipt(RECEIPT)
        assert report.outcome == "unknown" and report.status is None
        with pytest.raises(DeviceUnavailable):
            driver.status()
        pty.simulator = psim
        pty.replug()
        assert driver.status().can_print  # same driver, reconnected by itself
    assert list(psim.receipts) == []  # and it did not print the job again


# --- a third-party client drives the simulator ------------------------------------------

def test_python_escpos_gets_the_answers_a_real_printer_gives(ppty, psim):
    client = EscposSerial(devfile=ppty.port, baudrate=19200, timeout=0.2, dsrdtr=False,
                          profile="TM-T88III")
    client.open()
    try:
        assert client.is_online() is True and client.paper_status() == 2
        psim.set_paper("near-end")
        assert client.paper_status() == 1
        psim.set_paper("out")
        assert client.is_online() is False and client.paper_status() == 0
        psim.set_paper("ok")
        client.charcode("CP858")
        client.set(align="center", bold=True)
        client.textln("Lanthandel i Övre Soppero")
        client.qr("SE-PARCEL-123", native=True, size=4)
        client.cut()
        assert client.query_status(b"\x10\x04\x02") == b"\x12"  # after the job: cover shut
    finally:
        client.close()
    (receipt,) = psim.receipts
    assert receipt.lines == ["Lanthandel i Övre Soppero"] and receipt.qr_codes == [b"SE-PARCEL-123"]


def test_a_status_that_lands_in_the_next_query_is_not_its_answer(ppty, psim):
    with EscPosPrinter(ppty.port, timeout=0.5) as driver:
        ppty.delay_s = 0.7  # "paper ok" comes after the driver gave up...
        with pytest.raises(DeviceTimeout, match="status replies"):
            driver.status()
        ppty.delay_s = 0.0
        psim.set_paper("out")
        # ...while the next query is under way: after its input flush, ahead of its answer.
        status = driver.status()
        assert status.paper is st.Paper.OUT and not status.can_print


def test_a_corrupt_status_byte_is_never_reported(printer, ppty, psim):
    psim.set_cover(True)
    ppty.corrupt_checksum = 1  # the last status byte arrives with its fixed bits wrong
    with pytest.raises(DeviceTimeout, match="3 of 4"):
        printer.status()
    assert printer.status().cover_open  # the next query reads the printer again

import pytest

from tests.utils.clock import DEFAULT_START, FakeClock


def test_fake_clock__starts_at_fixed_time_and_moves_only_when_advanced(clock):
    assert clock.time() == DEFAULT_START
    assert clock.monotonic() == 0.0
    clock.advance(2.5)
    assert clock.time() == DEFAULT_START + 2.5
    assert clock.monotonic() == 2.5


def test_fake_clock__sleep_records_and_advances():
    clock = FakeClock(start=100.0)
    clock.sleep(1.0)
    clock.sleep(0.5)
    assert clock.sleeps == [1.0, 0.5]
    assert clock.time() == 101.5


def test_fake_clock__refuses_to_go_backwards(clock):
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)

import io

import pytest

from logging_lib import MemorySink, RotatingFileSink, Sink, StreamSink


class TestStreamSink:
    def test_stream_sink__writes_one_line_per_event_and_keeps_stream_open(self):
        stream = io.StringIO()
        sink = StreamSink(stream)
        sink.write(["a", "b"])
        sink.flush()
        sink.close()
        assert stream.getvalue() == "a\nb\n"
        assert not stream.closed
        assert isinstance(sink, Sink)


class TestRotatingFileSink:
    def test_rotating_file_sink__appends_utf8_lines(self, tmp_path):
        path = tmp_path / "app.log"
        path.write_text("existing\n")
        sink = RotatingFileSink(path, max_bytes=1000, backup_count=2)
        sink.write(["héllo"])
        sink.flush()
        sink.close()
        assert path.read_text(encoding="utf-8") == "existing\nhéllo\n"

    def test_rotating_file_sink__rotates_and_keeps_backup_count_files(self, tmp_path):
        path = tmp_path / "app.log"
        sink = RotatingFileSink(path, max_bytes=10, backup_count=2)
        for word in ["one", "two", "three", "four"]:
            sink.write([f"{word}-xxxx"])  # 9-10 bytes each: every write rotates
        sink.close()
        assert path.read_text() == "four-xxxx\n"
        assert (tmp_path / "app.log.1").read_text() == "three-xxxx\n"
        assert (tmp_path / "app.log.2").read_text() == "two-xxxx\n"
        assert not (tmp_path / "app.log.3").exists()

    def test_rotating_file_sink__zero_backups_truncates(self, tmp_path):
        path = tmp_path / "app.log"
        sink = RotatingFileSink(path, max_bytes=8, backup_count=0)
        sink.write(["aaaa", "bbbb"])  # larger than max_bytes: still written whole
        sink.write(["cccc"])
        sink.close()
        assert path.read_text() == "cccc\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["app.log"]

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"max_bytes": 0, "backup_count": 1}, "max_bytes must be positive"),
            ({"max_bytes": 10, "backup_count": -1}, "backup_count must not be negative"),
        ],
    )
    def test_rotating_file_sink__rejects_bad_limits(self, tmp_path, kwargs, message):
        with pytest.raises(ValueError, match=message):
            RotatingFileSink(tmp_path / "x.log", **kwargs)


class TestMemorySink:
    def test_memory_sink__keeps_lines_parses_events_and_clears(self):
        sink = MemorySink()
        sink.write(['{"event": "a"}'])
        sink.flush()
        assert sink.lines == ['{"event": "a"}']
        assert sink.events() == [{"event": "a"}]
        sink.clear()
        assert sink.lines == []
        sink.close()
        assert sink.closed

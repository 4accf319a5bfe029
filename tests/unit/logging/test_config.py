from pathlib import Path

import pytest

from logging_lib import LoggingConfig, LoggingConfigError


class TestValidation:
    def test_logging_config__defaults_are_valid(self):
        config = LoggingConfig()
        assert (config.level, config.format, config.sinks) == ("INFO", "json", ("stderr",))
        assert config.level_number == 20

    def test_logging_config__lists_every_problem_in_one_error(self):
        with pytest.raises(LoggingConfigError) as caught:
            LoggingConfig(
                level="LOUD",
                format="xml",
                sinks=("stdout", "pigeon", "file", "http"),
                http_timeout=0,
                queue_size=0,
                http_max_retries=-1,
            )
        problems = caught.value.problems
        assert problems == [
            "level: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
            "format: Input should be 'json' or 'console'",
            "sinks: unknown sink(s); known: file, http, memory, stderr, stdout",
            "http_timeout: Input should be greater than 0",
            "http_max_retries: Input should be greater than or equal to 0",
            "queue_size: Input should be greater than 0",
        ]
        message = str(caught.value)
        assert message.startswith("invalid logging configuration: level: must be one of")
        assert "LOUD" not in message
        assert "pigeon" not in message
        assert "\n" not in message

    def test_logging_config__sinks_need_their_settings(self):
        with pytest.raises(LoggingConfigError) as caught:
            LoggingConfig(sinks=("file", "http"))
        assert caught.value.problems == [
            "file_path: is required by the file sink",
            "http_url: is required by the http sink",
        ]

    @pytest.mark.parametrize("url", ["ftp://host/x", "http://", "not a url", "https:///path"])
    def test_logging_config__rejects_a_bad_url(self, url):
        with pytest.raises(LoggingConfigError, match="http_url: must be an http\\(s\\) URL"):
            LoggingConfig(sinks=("http",), http_url=url)

    def test_logging_config__repr_hides_the_collector_url(self):
        config = LoggingConfig(sinks=("http",), http_url="https://u:s3cret@collector.example/")
        assert "s3cret" not in repr(config)

    def test_logging_config__level_is_case_insensitive(self):
        assert LoggingConfig(level="debug").level_number == 10


class TestFromEnviron:
    def test_from_environ__reads_log_variables_only(self):
        config = LoggingConfig.from_environ(
            {
                "LOG_LEVEL": "warning",
                "LOG_FORMAT": "console",
                "LOG_SINKS": "stdout, file ,",
                "LOG_FILE_PATH": "/var/log/app.log",
                "LOG_FILE_MAX_BYTES": "2048",
                "LOG_FILE_BACKUP_COUNT": "2",
                "LOG_HTTP_URL": "https://collector.example/in",
                "LOG_HTTP_TIMEOUT": "1.5",
                "LOG_HTTP_BATCH_SIZE": "10",
                "LOG_HTTP_MAX_RETRIES": "0",
                "LOG_HTTP_RETRY_BUDGET_SECONDS": "12.5",
                "LOG_QUEUE_SIZE": "100",
                "LOG_SYNCHRONOUS": "yes",
                "LOG_REDACT_KEYS": "pin,otp",
                "LEVEL": "ignored",
                "LOGGER": "ignored too: not LOG_",
            }
        )
        assert config == LoggingConfig(
            level="warning",
            format="console",
            sinks=("stdout", "file"),
            file_path=Path("/var/log/app.log"),
            file_max_bytes=2048,
            file_backup_count=2,
            http_url="https://collector.example/in",
            http_timeout=1.5,
            http_batch_size=10,
            http_max_retries=0,
            http_retry_budget_seconds=12.5,
            queue_size=100,
            synchronous=True,
            redact_keys=("pin", "otp"),
        )

    def test_from_environ__empty_environment_gives_defaults(self):
        assert LoggingConfig.from_environ({}) == LoggingConfig()

    @pytest.mark.parametrize(("raw", "expected"), [("off", False), ("0", False), ("ON", True)])
    def test_from_environ__parses_booleans(self, raw, expected):
        assert LoggingConfig.from_environ({"LOG_SYNCHRONOUS": raw}).synchronous is expected

    def test_from_environ__reports_parse_and_validation_problems_together(self):
        with pytest.raises(LoggingConfigError) as caught:
            LoggingConfig.from_environ(
                {
                    "LOG_QUEUE_SIZE": "many",
                    "LOG_HTTP_TIMEOUT": "soon",
                    "LOG_SYNCHRONOUS": "maybe",
                    "LOG_LEVEL": "chatty",
                }
            )
        assert caught.value.problems == [
            "LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
            "LOG_HTTP_TIMEOUT: Input should be a valid number, unable to parse string as a number",
            "LOG_QUEUE_SIZE: Input should be a valid integer, unable to parse string as an integer",
            "LOG_SYNCHRONOUS: Input should be a valid boolean, unable to interpret input",
        ]
        for value in ("many", "soon", "maybe", "chatty"):
            assert value not in str(caught.value)

    def test_from_environ__a_typo_of_a_known_variable_is_refused(self):
        """A typo such as LOG_REDACT_KEY would silently leave a secret unredacted."""
        with pytest.raises(LoggingConfigError) as caught:
            LoggingConfig.from_environ({"LOG_REDACT_KEY": "pin", "LOG_LEVEL": "debug"})
        assert caught.value.problems == ["LOG_REDACT_KEY: is not a known setting"]

    @pytest.mark.parametrize("name", ["LOG_DIR", "LOG_ROTATE", "LOG_SERVICE_HOST"])
    def test_from_environ__other_log_variables_are_ignored(self, name):
        """The environment is shared with other programs (a platform's LOG_DIR)."""
        config = LoggingConfig.from_environ({name: "/var/log", "LOG_LEVEL": "debug"})
        assert config == LoggingConfig.from_environ({"LOG_LEVEL": "debug"})

    def test_from_environ__non_finite_budget_is_refused(self):
        with pytest.raises(LoggingConfigError) as caught:
            LoggingConfig.from_environ({"LOG_HTTP_RETRY_BUDGET_SECONDS": "inf"})
        assert caught.value.problems == [
            "LOG_HTTP_RETRY_BUDGET_SECONDS: Input should be a finite number"
        ]

    def test_logging_config__frozen(self):
        config = LoggingConfig()
        with pytest.raises(ValueError, match="frozen"):
            config.level = "DEBUG"

import sqlite3


def test_temp_db_file__is_an_empty_sqlite_database(temp_db_file):
    assert temp_db_file.exists()
    with sqlite3.connect(temp_db_file) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
    connection.close()
    assert tables == []


def test_temp_db_file__is_fresh_per_test(temp_db_file, tmp_path):
    assert temp_db_file.parent == tmp_path


def test_mock_request__builds_a_real_request_from_keywords(mock_request):
    with mock_request(
        "/v1/projects?limit=5",
        method="POST",
        json={"name": "demo"},
        headers={"X-Tenant-ID": "t-1"},
    ) as request:
        assert request.method == "POST"
        assert request.path == "/v1/projects"
        assert request.args["limit"] == "5"
        assert request.get_json() == {"name": "demo"}
        assert request.headers["X-Tenant-ID"] == "t-1"


def test_mock_request__pops_its_context(mock_request):
    import flask

    with mock_request():
        assert flask.has_request_context()
    assert not flask.has_request_context()

import flask

from tests.utils.chunked import chunked


def test_chunked__the_app_reads_the_whole_body_without_a_length():
    app = flask.Flask("chunked_under_test")

    @app.post("/echo")
    def echo():
        request = flask.request
        return {
            "length": request.content_length,
            "body": request.get_data(as_text=True),
            "type": request.content_type,
            "encoding": request.headers.get("Transfer-Encoding"),
            "caller": request.headers.get("Authorization"),
        }

    with app.test_client() as client:
        response = client.post("/echo", **chunked(b"a=1&b=2", "text/plain", {"Authorization": "x"}))
    assert response.json == {
        "length": None,
        "body": "a=1&b=2",
        "type": "text/plain",
        "encoding": "chunked",
        "caller": "x",
    }

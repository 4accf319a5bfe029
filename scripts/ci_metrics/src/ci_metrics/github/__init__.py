"""GitHub: the REST client, the sticky comment, the fork artifact and its binding."""

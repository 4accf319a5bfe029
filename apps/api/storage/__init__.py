"""SQLite persistence of the API: connections and schema, and the project store."""

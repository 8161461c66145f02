"""Qt item models over the SQLite mirror: windowed, sorted and filtered by the store."""

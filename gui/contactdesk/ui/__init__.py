"""Qt widgets only: the main window, its models, dialogs and widgets.

The UI never talks HTTP: it reads the account's SQLite mirror directly (cheap, windowed)
and sends every remote call through the account's worker bridge.
"""

"""Practice-mode simulators of both provider APIs: real HTTP servers on 127.0.0.1.

They serve three purposes: the first-run and training experience, the fixture that
the provider, sync and GUI tests talk to, and a faithful model of each platform's
quirks (see ``shared/spec``). Nothing here is used against a real platform.
"""

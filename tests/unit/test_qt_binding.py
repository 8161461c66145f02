"""Guards against a Qt binding that would crash the app in a long session.

PySide6 6.12.0 on Python 3.11 loses one reference to ``None`` on every call of a C++ method
that returns nothing; once the count reaches zero the interpreter aborts ("deallocating None").
pyproject.toml pins a release without the bug; this test fails if one slips back in.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject


def test_void_calls_do_not_leak_none_references() -> None:
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(2_000):
        obj.setObjectName("contact-desk")
    after = sys.getrefcount(None)
    # other threads may take or drop a few references meanwhile; a leak is one per call
    assert abs(after - before) < 200, f"None lost {before - after} references in 2,000 calls"


def test_bool_results_do_not_leak_references() -> None:
    obj = QObject()
    before = sys.getrefcount(False)
    for _ in range(2_000):
        obj.blockSignals(False)
    assert abs(sys.getrefcount(False) - before) < 200

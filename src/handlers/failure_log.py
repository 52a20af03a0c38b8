"""What the proxy may log about an exception: its type and where it was raised, never its message.

Messages and tracebacks can carry request values (a botocore error echoes parameters, a JSON error
quotes the document), so operators get code locations instead.
"""

from __future__ import annotations

import os
import traceback


def code_locations(exc: BaseException) -> list[str]:
    """`file.py:line:function` for each frame of the exception's traceback, innermost last."""
    return [f"{os.path.basename(f.filename)}:{f.lineno}:{f.name}" for f in traceback.extract_tb(exc.__traceback__)]

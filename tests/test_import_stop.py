"""An import stops when its caller says so: the app stops one whose browser session has ended."""

from __future__ import annotations

import pytest

from app.data.atlas import load_atlas
from app.errors import ImportFileError
from app.io.importer import import_file

ROWS = 400
CSV = ("名称,地址\n" + "".join(f"项目{i},天山路{i}号\n" for i in range(ROWS))).encode()


@pytest.fixture(scope="module")
def atlas():
    return load_atlas()


def test_the_rows_stop_being_placed_once_the_caller_has_gone(atlas):
    asked = []

    def gone_after_ten() -> bool:
        asked.append(True)
        return len(asked) > 10  # the read and the first 9 rows, then gone

    with pytest.raises(ImportFileError, match=rf"r\.csv: import stopped before row 10 of {ROWS}"):
        import_file(CSV, filename="r.csv", atlas=atlas, should_stop=gone_after_ten)
    assert len(asked) == 11  # asked once more, not once per remaining row


def test_a_caller_gone_before_the_rows_stops_after_the_read(atlas):
    with pytest.raises(ImportFileError, match="before row 1 of"):
        import_file(CSV, filename="r.csv", atlas=atlas, should_stop=lambda: True)


def test_a_caller_that_stays_gets_the_same_result_as_without_asking(atlas):
    asked = []
    kept = import_file(CSV, filename="r.csv", atlas=atlas,
                       should_stop=lambda: asked.append(1) is not None)
    plain = import_file(CSV, filename="r.csv", atlas=atlas)
    assert len(asked) == ROWS + 1
    assert kept.report.summary == plain.report.summary
    assert kept.frame.equals(plain.frame)

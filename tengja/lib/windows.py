"""A page of a list that is read a window at a time, never counted.

Django's Paginator counts the whole list to say "page 3 of 1,000": for a list
that grows with a person's history (their past sessions, their bills) that
count reads every row of it, and costs more each year. A window reads its own
rows and one more (to know whether there are older ones), and offers "Newer"
and "Older" links (includes/pagination.html).
"""

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

# Farther back than this (a thousand pages of a list) a page is not offered.
MAX_PAGE = 1000


class Sliceable(Protocol):
    def __getitem__(self, window: slice) -> Any: ...


class Window(Sequence):
    """What templates use of Django's Page, without the count."""

    paginator = None  # no "of N": see includes/pagination.html

    def __init__(self, rows: list, number: int, has_next: bool) -> None:
        self.object_list = rows
        self.number = number
        self._has_next = has_next

    def __getitem__(self, index):
        return self.object_list[index]

    def __len__(self) -> int:
        return len(self.object_list)

    def __iter__(self) -> Iterator:
        return iter(self.object_list)

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous() or self.has_next()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def window(rows: Sliceable, *, page: str | None, size: int) -> Window:
    """Page `page` (from the query string; the first if it is not a page number)
    of `rows` (a QuerySet, or anything sliced the same way), `size` to a page."""
    number = int(page) if page and page.isdigit() and 1 <= int(page) <= MAX_PAGE else 1
    start = (number - 1) * size
    found = list(rows[start : start + size + 1])
    return Window(found[:size], number, len(found) > size)

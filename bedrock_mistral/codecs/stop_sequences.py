"""Stop sequences applied to the answer, for formats that cannot send them to Bedrock."""

from __future__ import annotations


def truncate_at_stop(text: str, stop: tuple[str, ...]) -> tuple[str, bool]:
    """Cut `text` before the first stop sequence, for formats that cannot send `stop` to Bedrock."""
    cut = min((i for i in (text.find(s) for s in stop) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


class StopScanner:
    """Applies stop sequences to a stream, holding back only text that could begin a stop sequence."""

    def __init__(self, stop: tuple[str, ...]) -> None:
        self.stop = stop
        self.pending = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        if self.stopped or not self.stop:
            return "" if self.stopped else text
        self.pending += text
        cut, hit = truncate_at_stop(self.pending, self.stop)
        if hit:
            self.stopped, self.pending = True, ""
            return cut
        keep = max((len(s) - 1 for s in self.stop), default=0)
        # Hold back the longest suffix that is a prefix of some stop sequence.
        hold = 0
        for n in range(min(keep, len(self.pending)), 0, -1):
            tail = self.pending[-n:]
            if any(s.startswith(tail) for s in self.stop):
                hold = n
                break
        emit, self.pending = self.pending[: len(self.pending) - hold], self.pending[len(self.pending) - hold :]
        return emit

    def flush(self) -> str:
        out, self.pending = ("" if self.stopped else self.pending), ""
        return out

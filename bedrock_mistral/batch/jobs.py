"""A handle on submitted Batch Inference jobs: status, wait with a progress bar, stop, results, attach.

One handle may cover several Bedrock jobs (an input split over the per-job maximum) or none (an input
under the minimum that ran on demand); its results are always one row per input, in input order.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import IO, Any

from bedrock_mistral.batch import s3
from bedrock_mistral.batch.errors import BatchJobError, BatchRecordError
from bedrock_mistral.batch.output import BatchResult, OutputLine, decode_line
from bedrock_mistral.batch.records import record_id
from bedrock_mistral.batch.s3 import S3Location

TERMINAL = frozenset({"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"})
NOT_PROCESSED = "NotProcessed"
META_SUFFIX = ".meta.json"


@dataclass(frozen=True)
class JobStatus:
    """One Bedrock job as GetModelInvocationJob describes it."""

    arn: str
    name: str
    status: str
    message: str | None
    model_id: str
    invocation_type: str
    input: S3Location
    output: S3Location
    total: int | None
    processed: int
    success: int
    errors: int

    @property
    def job_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    @classmethod
    def from_api(cls, job: Mapping[str, Any]) -> JobStatus:
        return cls(
            arn=job["jobArn"],
            name=job.get("jobName", ""),
            status=job.get("status", "Submitted"),
            message=job.get("message"),
            model_id=job.get("modelId", ""),
            invocation_type=job.get("modelInvocationType", "InvokeModel"),
            input=S3Location.parse(job["inputDataConfig"]["s3InputDataConfig"]["s3Uri"]),
            output=S3Location.parse(job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"]),
            total=job.get("totalRecordCount"),
            processed=int(job.get("processedRecordCount") or 0),
            success=int(job.get("successRecordCount") or 0),
            errors=int(job.get("errorRecordCount") or 0),
        )


@dataclass(frozen=True)
class BatchStatus:
    """The jobs of one handle, summed. `status` is Bedrock's when there is one job."""

    status: str
    jobs: tuple[JobStatus, ...]
    total: int
    processed: int
    success: int
    errors: int
    on_demand: bool = False

    @property
    def done(self) -> bool:
        return all(job.done for job in self.jobs)

    @property
    def message(self) -> str | None:
        messages = [f"{job.name}: {job.message}" for job in self.jobs if job.message]
        return "; ".join(messages) or None


def combined_status(statuses: Sequence[str]) -> str:
    if not statuses:
        return "Completed"
    if len(set(statuses)) == 1:
        return statuses[0]
    running = [s for s in statuses if s not in TERMINAL]
    if running:
        return "Stopping" if "Stopping" in running else "InProgress"
    return "PartiallyCompleted"


@dataclass(frozen=True)
class JobPart:
    """What the client knows about one job: its ARN and the input rows it holds."""

    arn: str
    first_index: int
    count: int
    stops: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    default_stop: tuple[str, ...] = ()


class BatchJob:
    """Submitted batch work. `results()` yields one `BatchResult` per input, in input order."""

    def __init__(
        self,
        parts: Sequence[JobPart],
        *,
        control: Any = None,
        s3_client: Any = None,
        keys: Sequence[Any] | None = None,
        on_demand: Sequence[BatchResult] | None = None,
        convert: Callable[[Any], Any] | None = None,
    ) -> None:
        self.parts = tuple(parts)
        self._control = control
        self._s3 = s3_client
        self._keys = keys
        self._on_demand = tuple(on_demand) if on_demand is not None else None
        self._convert = convert

    def __repr__(self) -> str:
        if self._on_demand is not None:
            return f"BatchJob(on_demand, records={len(self._on_demand)})"
        return f"BatchJob(jobs={[p.arn for p in self.parts]})"

    @property
    def job_arns(self) -> list[str]:
        return [part.arn for part in self.parts]

    @property
    def ran_on_demand(self) -> bool:
        """True when the input was under the minimum and ran as on-demand calls (no Bedrock job)."""
        return self._on_demand is not None

    def with_output(self, convert: Callable[[Any], Any]) -> BatchJob:
        """The same jobs, with each response converted (the adapters' framework types)."""
        job = BatchJob(self.parts, control=self._control, s3_client=self._s3, keys=self._keys, convert=convert)
        job._on_demand = self._on_demand
        return job

    # --- status ---------------------------------------------------------------------------------

    def status(self) -> BatchStatus:
        if self._on_demand is not None:
            errors = sum(1 for r in self._on_demand if r.error is not None)
            n = len(self._on_demand)
            state = "Completed" if not errors else "PartiallyCompleted" if errors < n else "Failed"
            return BatchStatus(state, (), n, n, n - errors, errors, on_demand=True)
        jobs = tuple(self._describe(part.arn) for part in self.parts)
        return BatchStatus(
            combined_status([job.status for job in jobs]),
            jobs,
            total=sum(job.total if job.total is not None else part.count for job, part in zip(jobs, self.parts, strict=True)),
            processed=sum(job.processed for job in jobs),
            success=sum(job.success for job in jobs),
            errors=sum(job.errors for job in jobs),
        )

    def _describe(self, arn: str) -> JobStatus:
        return JobStatus.from_api(self._control.get_model_invocation_job(jobIdentifier=arn))

    def wait(
        self, poll_interval: float = 30.0, timeout: float | None = None, progress: bool = True
    ) -> BatchStatus:
        """Poll until every job has ended; a tqdm bar shows processed records (successes and errors)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        bar = None
        try:
            while True:
                state = self.status()
                if progress:
                    bar = _progress(bar, state)
                if state.done:
                    return state
                if deadline is not None and time.monotonic() >= deadline:
                    raise BatchJobError(
                        f"batch jobs still {state.status} after {timeout} s "
                        f"({state.processed}/{state.total} records processed)"
                    )
                pause = poll_interval if deadline is None else min(poll_interval, max(0.0, deadline - time.monotonic()))
                time.sleep(pause)
        finally:
            if bar is not None:
                bar.close()

    def stop(self) -> BatchStatus:
        """Ask Bedrock to stop every job still running; records already answered stay in the results."""
        from botocore.exceptions import ClientError

        for part in self.parts:
            try:
                self._control.stop_model_invocation_job(jobIdentifier=part.arn)
            except ClientError as exc:
                # A job that has already ended cannot be stopped: nothing to do for it.
                if exc.response.get("Error", {}).get("Code") not in ("ValidationException", "ConflictException"):
                    raise
        return self.status()

    # --- results --------------------------------------------------------------------------------

    def results(self) -> Iterator[BatchResult]:
        """One row per input in input order: a response, or a typed `BatchRecordError` for a record that
        failed or that the job never reached (a Stopped, Failed or Expired job still yields what it has)."""
        if self._on_demand is not None:
            for result in self._on_demand:
                yield self._finish(result)
            return
        for part in self.parts:
            job = self._describe(part.arn)
            if not job.done:
                raise BatchJobError(f"job {job.name} is {job.status}: call wait() before results()")
            for line in self._part_lines(part, job):
                result = BatchResult(line.index, self._key(line.index), line.response, line.error)
                yield self._finish(result)

    def _finish(self, result: BatchResult) -> BatchResult:
        if result.response is None:
            return result
        return replace(result, output=self._convert(result.response) if self._convert else result.response)

    def _key(self, index: int) -> Any:
        return self._keys[index] if self._keys is not None else index

    def _part_lines(self, part: JobPart, job: JobStatus) -> Iterator[OutputLine]:
        location = job.output.child(job.job_id, job.input.name + ".out")
        valid = range(part.first_index, part.first_index + part.count)
        found = s3.exists(self._s3, location)
        ordered = _in_order(
            (
                decode_line(
                    raw,
                    source=location.uri,
                    line_number=number,
                    model_id=job.model_id,
                    invocation_type=job.invocation_type,
                    valid_indexes=valid,
                    stops=part.stops,
                    default_stop=part.default_stop,
                )
                for number, raw in enumerate(s3.lines(self._s3, location) if found else (), start=1)
                if raw.strip()
            ),
            valid,
        )
        reason = f"the job ended {job.status} before this record ran" + (f": {job.message}" if job.message else "")
        for index, line in ordered:
            if line is None:
                rid = record_id(index)
                yield OutputLine(index, rid, None, BatchRecordError(index, rid, NOT_PROCESSED, reason))
            else:
                yield line


def _in_order(lines: Iterator[OutputLine], valid: range) -> Iterator[tuple[int, OutputLine | None]]:
    """Output lines by input position. Lines arriving in order pass straight through; early ones wait
    in a temporary file (only their offsets stay in memory), so memory stays flat however the output is ordered."""
    spill: IO[bytes] | None = None
    offsets: dict[int, tuple[int, int]] = {}
    expected = valid.start
    try:
        for line in lines:
            if line.index == expected:
                yield expected, line
                expected += 1
                while expected in offsets:
                    yield expected, _read(spill, offsets.pop(expected))
                    expected += 1
                continue
            if line.index < expected or line.index in offsets:
                continue  # a duplicate line for an answered record: keep the first
            if spill is None:
                spill = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
            spill.seek(0, 2)
            data = _pack(line)
            offsets[line.index] = (spill.tell(), len(data))
            spill.write(data)
        while expected < valid.stop:
            yield expected, _read(spill, offsets.pop(expected)) if expected in offsets else None
            expected += 1
    finally:
        if spill is not None:
            spill.close()


def _pack(line: OutputLine) -> bytes:
    import pickle

    return pickle.dumps(line, protocol=pickle.HIGHEST_PROTOCOL)


def _read(spill: IO[bytes] | None, where: tuple[int, int]) -> OutputLine:
    import pickle

    assert spill is not None
    spill.seek(where[0])
    line: OutputLine = pickle.loads(spill.read(where[1]))
    return line


def _progress(bar: Any, state: BatchStatus) -> Any:
    from tqdm.auto import tqdm

    if bar is None:
        bar = tqdm(total=state.total, unit="rec", desc="batch", dynamic_ncols=True)
    bar.total = state.total
    bar.n = state.processed
    bar.set_postfix_str(f"{state.status} ok={state.success} err={state.errors}", refresh=False)
    bar.refresh()
    return bar

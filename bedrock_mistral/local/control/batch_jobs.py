"""Batch Inference jobs: CreateModelInvocationJob, GetModelInvocationJob, ListModelInvocationJobs and
StopModelInvocationJob, with jobs that read and write a real S3 API (moto's server on loopback, or any
endpoint the user names).

A background worker moves each job through Bedrock's statuses (Submitted, Validating, Scheduled,
InProgress, then Completed / PartiallyCompleted / Failed, or Stopping / Stopped) and runs every record
through the app's own request handling, so a record's answer equals the on-demand answer. A record the
model rejects becomes an error line and the job goes on.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from bedrock_mistral import catalog
from bedrock_mistral.catalog import BatchLimits
from bedrock_mistral.local.control.routing import ControlRequest, ControlResponse, Route
from bedrock_mistral.local.service_errors import ServiceError

if TYPE_CHECKING:
    from bedrock_mistral.local.app import HttpResponse

Answer = Callable[[str, str, Any, str], "HttpResponse"]
"""`BedrockApp.answer(operation, model_id, body, request_id)`."""

TERMINAL = frozenset({"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"})
STATUSES = (
    "Submitted", "InProgress", "Completed", "Failed", "Stopping", "Stopped", "PartiallyCompleted", "Expired",
    "Validating", "Scheduled",
)
_PATTERNS = {
    "jobName": r"[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\+\-\.]){0,63}",
    "roleArn": r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+",
    "clientRequestToken": r"[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}",
    "s3Uri": r"s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?",
    "jobIdentifier": r"((arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job/)?[a-z0-9]{12})",
}
_LENGTHS = {"jobName": (1, 63), "roleArn": (0, 2048), "clientRequestToken": (1, 256), "s3Uri": (1, 1024)}


def _constraint(field_name: str, value: Any, constraint: str) -> ServiceError:
    return ServiceError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{field_name}' failed to satisfy constraint: {constraint}",
    )


def _check(field_name: str, value: Any, key: str | None = None) -> str:
    key = key or field_name
    if not isinstance(value, str):
        raise _constraint(field_name, value, "Member must not be null")
    low, high = _LENGTHS.get(key, (0, 2048))
    if not low <= len(value) <= high:
        raise _constraint(field_name, value, f"Member must have length between {low} and {high}")
    if not re.fullmatch(_PATTERNS[key], value):
        raise _constraint(field_name, value, f"Member must satisfy regular expression pattern: {_PATTERNS[key]}")
    return value


def _timestamp(value: float | None) -> str | None:
    if value is None:
        return None
    return dt.datetime.fromtimestamp(value, dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _split_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


@dataclass
class BatchFaults:
    """Scripted batch failures: records that fail, jobs that fail, jobs that run slowly."""

    failing_records: dict[str, tuple[int, str]] = field(default_factory=dict)
    failing_jobs: list[str] = field(default_factory=list)
    per_record_ms: float = 0.0
    status_step_ms: float = 0.0
    expire_after: int | None = None
    """Jobs end Expired (their timeout reached) after this many records."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_record(self, record_id: str, status: int = 424, message: str = "The model failed to answer.") -> None:
        """The record with this id gets an error line (`errorCode` = status) instead of an answer."""
        with self._lock:
            self.failing_records[record_id] = (status, message)

    def fail_job(self, message: str = "Internal error: the job failed.") -> None:
        """The next job to start fails with this message and writes no output."""
        with self._lock:
            self.failing_jobs.append(message)

    def slow(self, per_record_ms: float = 0.0, status_step_ms: float = 0.0) -> None:
        """Spend time per record (and between status changes), so a job can be seen running or stopped."""
        self.per_record_ms = per_record_ms
        self.status_step_ms = status_step_ms

    def expire(self, after_records: int) -> None:
        """Jobs reach their timeout after `after_records` records: they end Expired with what they did."""
        self.expire_after = after_records

    def take_job_failure(self) -> str | None:
        with self._lock:
            return self.failing_jobs.pop(0) if self.failing_jobs else None

    def record_failure(self, record_id: str) -> tuple[int, str] | None:
        with self._lock:
            return self.failing_records.get(record_id)

    def clear(self) -> None:
        with self._lock:
            self.failing_records.clear()
            self.failing_jobs.clear()
        self.per_record_ms = self.status_step_ms = 0.0
        self.expire_after = None


@dataclass
class Job:
    job_id: str
    arn: str
    request: dict[str, Any]
    submit_time: float
    status: str = "Submitted"
    message: str | None = None
    last_modified: float = 0.0
    end_time: float | None = None
    total: int | None = None
    processed: int = 0
    success: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    stop_requested: bool = False

    def describe(self) -> dict[str, Any]:
        r = self.request
        out: dict[str, Any] = {
            "jobArn": self.arn,
            "jobName": r["jobName"],
            "modelId": r["modelId"],
            "roleArn": r["roleArn"],
            "status": self.status,
            "submitTime": _timestamp(self.submit_time),
            "lastModifiedTime": _timestamp(self.last_modified or self.submit_time),
            "inputDataConfig": r["inputDataConfig"],
            "outputDataConfig": r["outputDataConfig"],
            "timeoutDurationInHours": r.get("timeoutDurationInHours", 168),
            "jobExpirationTime": _timestamp(self.submit_time + 3600 * r.get("timeoutDurationInHours", 168)),
            "modelInvocationType": r.get("modelInvocationType", "InvokeModel"),
            "processedRecordCount": self.processed,
            "successRecordCount": self.success,
            "errorRecordCount": self.errors,
        }
        for key, value in (
            ("clientRequestToken", r.get("clientRequestToken")),
            ("message", self.message),
            ("endTime", _timestamp(self.end_time)),
            ("totalRecordCount", self.total),
            ("vpcConfig", r.get("vpcConfig")),
        ):
            if value is not None:
                out[key] = value
        return out


class BatchJobs:
    """The job store and its runner. `s3_endpoint_url` None: jobs cannot start (no S3 to read from)."""

    def __init__(
        self,
        answer: Answer,
        *,
        region: str,
        account_id: str,
        s3_endpoint_url: str | None = None,
        max_concurrent_jobs: int = 4,
        limits: BatchLimits | None = None,
    ) -> None:
        self._answer = answer
        self.region = region
        self.account_id = account_id
        self.s3_endpoint_url = s3_endpoint_url
        self.limits = limits
        """Overrides the catalog's per-model batch limits (tests lower them)."""
        self.faults = BatchFaults()
        self._jobs: dict[str, Job] = {}
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self.max_concurrent_jobs = max_concurrent_jobs
        self._workers: ThreadPoolExecutor | None = None
        self._s3: Any = None

    def routes(self) -> list[Route]:
        return [
            Route("CreateModelInvocationJob", "POST", "/model-invocation-job", self.create),
            Route("GetModelInvocationJob", "GET", "/model-invocation-job/{jobIdentifier}", self.get),
            Route("StopModelInvocationJob", "POST", "/model-invocation-job/{jobIdentifier}/stop", self.stop),
            Route("ListModelInvocationJobs", "GET", "/model-invocation-jobs", self.list),
        ]

    def shutdown(self) -> None:
        with self._lock:
            for job in self._jobs.values():
                job.stop_requested = True
        workers, self._workers = self._workers, None
        if workers is not None:
            workers.shutdown(wait=True, cancel_futures=True)

    def clear(self) -> None:
        """Forget finished jobs and faults (the fixture between tests)."""
        with self._lock:
            for job_id in [j for j, job in self._jobs.items() if job.status in TERMINAL]:
                del self._jobs[job_id]
            self._tokens = {t: j for t, j in self._tokens.items() if j in self._jobs}
        self.faults.clear()

    # --- operations -------------------------------------------------------------------------------

    def create(self, request: ControlRequest) -> ControlResponse:
        body = request.body if isinstance(request.body, dict) else {}
        _check("jobName", body.get("jobName"))
        _check("roleArn", body.get("roleArn"))
        token = body.get("clientRequestToken")
        if token is not None:
            _check("clientRequestToken", token)
        model_id = body.get("modelId")
        if not isinstance(model_id, str) or not model_id:
            raise _constraint("modelId", model_id, "Member must not be null")
        spec = catalog.find(model_id)
        if spec is None:
            raise ServiceError("ValidationException", "The provided model identifier is invalid.")
        if spec.batch is None:
            raise ServiceError(
                "ValidationException", f"The provided model {model_id} doesn't support batch inference."
            )
        s3_input = ((body.get("inputDataConfig") or {}).get("s3InputDataConfig") or {})
        s3_output = ((body.get("outputDataConfig") or {}).get("s3OutputDataConfig") or {})
        _check("inputDataConfig.s3InputDataConfig.s3Uri", s3_input.get("s3Uri"), "s3Uri")
        _check("outputDataConfig.s3OutputDataConfig.s3Uri", s3_output.get("s3Uri"), "s3Uri")
        if s3_input.get("s3InputFormat", "JSONL") != "JSONL":
            raise _constraint("inputDataConfig.s3InputDataConfig.s3InputFormat", s3_input.get("s3InputFormat"),
                              "Member must satisfy enum value set: [JSONL]")
        kind = body.get("modelInvocationType", "InvokeModel")
        if kind not in ("InvokeModel", "Converse"):
            raise _constraint("modelInvocationType", kind, "Member must satisfy enum value set: [InvokeModel, Converse]")
        hours = body.get("timeoutDurationInHours")
        window = spec.batch.timeout_hours
        if hours is not None and (not isinstance(hours, int) or not window.contains(hours)):
            raise _constraint("timeoutDurationInHours", hours,
                              f"Member must have value between {window.describe().replace(' to ', ' and ')}")
        if self.s3_endpoint_url is None:
            raise ServiceError(
                "ValidationException",
                "This emulator has no S3 endpoint for batch jobs: start it with LocalBedrock(batch=True) or "
                "`bedrock-mistral serve --s3`.",
            )
        with self._lock:
            if token is not None and token in self._tokens:
                return ControlResponse(200, {"jobArn": self._jobs[self._tokens[token]].arn})
            job_id = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
            arn = f"arn:aws:bedrock:{self.region}:{self.account_id}:model-invocation-job/{job_id}"
            now = time.time()
            job = Job(job_id, arn, dict(body), now, last_modified=now)
            self._jobs[job_id] = job
            if token is not None:
                self._tokens[token] = job_id
            if self._workers is None:
                self._workers = ThreadPoolExecutor(self.max_concurrent_jobs, thread_name_prefix="batch-job")
            self._workers.submit(self._run, job, spec.batch)
        return ControlResponse(200, {"jobArn": arn})

    def _find(self, identifier: str) -> Job:
        _check("jobIdentifier", identifier)
        job_id = identifier.rsplit("/", 1)[-1]
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise ServiceError("ResourceNotFoundException", f"The specified job {identifier} could not be found.")
        return job

    def get(self, request: ControlRequest) -> ControlResponse:
        job = self._find(request.params["jobIdentifier"])
        with self._lock:
            return ControlResponse(200, job.describe())

    def stop(self, request: ControlRequest) -> ControlResponse:
        job = self._find(request.params["jobIdentifier"])
        with self._lock:
            if job.status in TERMINAL or job.status == "Stopping":
                raise ServiceError(
                    "ValidationException", f"The job {job.arn} is {job.status} and cannot be stopped."
                )
            job.stop_requested = True
            self._set(job, "Stopping")
        return ControlResponse(200, {})

    def list(self, request: ControlRequest) -> ControlResponse:
        q = request.query
        status = q.get("statusEquals")
        if status is not None and status not in STATUSES:
            raise _constraint("statusEquals", status, f"Member must satisfy enum value set: [{', '.join(STATUSES)}]")
        after, before = _query_time(q, "submitTimeAfter"), _query_time(q, "submitTimeBefore")
        name = q.get("nameContains")
        try:
            size = int(q.get("maxResults", "1000"))
            start = int(q.get("nextToken", "0"))
        except ValueError:
            raise ServiceError("ValidationException", "maxResults and nextToken must be numbers.") from None
        if not 1 <= size <= 1000:
            raise _constraint("maxResults", size, "Member must have value between 1 and 1000")
        with self._lock:
            jobs = [
                job for job in self._jobs.values()
                if (status is None or job.status == status)
                and (name is None or name in job.request["jobName"])
                and (after is None or job.submit_time > after)
                and (before is None or job.submit_time < before)
            ]
            jobs.sort(key=lambda j: j.submit_time, reverse=q.get("sortOrder", "Descending") == "Descending")
            page = [job.describe() for job in jobs[start : start + size]]
        out: dict[str, Any] = {"invocationJobSummaries": page}
        if start + size < len(jobs):
            out["nextToken"] = str(start + size)
        return ControlResponse(200, out)

    # --- the runner -------------------------------------------------------------------------------

    def _set(self, job: Job, status: str, message: str | None = None) -> None:
        """Under self._lock."""
        job.status = status
        job.last_modified = time.time()
        if message is not None:
            job.message = message
        if status in TERMINAL:
            job.end_time = job.last_modified

    def _advance(self, job: Job, status: str) -> bool:
        """Move to `status` unless a stop was asked for; False when the job has stopped."""
        if self.faults.status_step_ms:
            time.sleep(self.faults.status_step_ms / 1000)
        with self._lock:
            if job.stop_requested:
                self._set(job, "Stopped")
                return False
            self._set(job, status)
        return True

    def _client(self) -> Any:
        if self._s3 is None:
            import boto3
            from botocore.config import Config

            self._s3 = boto3.client(
                "s3",
                endpoint_url=self.s3_endpoint_url,
                region_name=self.region,
                aws_access_key_id="local",
                aws_secret_access_key="local",
                config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
            )
        return self._s3

    def _run(self, job: Job, limits: BatchLimits) -> None:
        limits = self.limits or limits
        try:
            self._execute(job, limits)
        except ServiceError as error:
            with self._lock:
                self._set(job, "Failed", error.message)
        except Exception as exc:  # the job fails, the emulator keeps serving
            with self._lock:
                self._set(job, "Failed", f"{type(exc).__name__}: {exc}")

    def _execute(self, job: Job, limits: BatchLimits) -> None:
        if not self._advance(job, "Validating"):
            return
        s3 = self._client()
        input_uri = job.request["inputDataConfig"]["s3InputDataConfig"]["s3Uri"]
        with tempfile.TemporaryFile() as spool:
            total = self._download(s3, input_uri, spool)
            if total < limits.min_records:
                raise ServiceError("ValidationException", f"The number of records in the input ({total}) is less "
                                   f"than the minimum of {limits.min_records} records per batch inference job.")
            if total > limits.max_records:
                raise ServiceError("ValidationException", f"The number of records in the input ({total}) exceeds "
                                   f"the maximum of {limits.max_records} records per batch inference job.")
            with self._lock:
                job.total = total
            if not self._advance(job, "Scheduled") or not self._advance(job, "InProgress"):
                return
            failure = self.faults.take_job_failure()
            if failure is not None:
                raise ServiceError("InternalServerException", failure)
            spool.seek(0)
            with tempfile.TemporaryFile() as out:
                ended = self._records(job, spool, out)
                self._write_output(s3, job, input_uri, out)
        with self._lock:
            if ended == "Expired":
                hours = job.request.get("timeoutDurationInHours", 168)
                self._set(job, "Expired", f"The job did not finish within its timeout of {hours} hours.")
            elif ended is not None:
                self._set(job, ended)
            elif job.errors == 0:
                self._set(job, "Completed")
            else:
                self._set(job, "PartiallyCompleted" if job.success else "Failed",
                          None if job.success else "All records failed.")

    @staticmethod
    def _download(s3: Any, uri: str, spool: IO[bytes]) -> int:
        bucket, key = _split_uri(uri)
        from botocore.exceptions import ClientError

        keys = [key]
        if key and not key.endswith("/") and not key.endswith(".jsonl"):
            raise ServiceError("ValidationException", f"The input file s3://{bucket}/{key} must be a .jsonl file "
                               "or a folder of .jsonl files.")
        if not key or key.endswith("/"):  # a folder: every .jsonl under it
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
            keys = [o["Key"] for page in pages for o in page.get("Contents", []) if o["Key"].endswith(".jsonl")]
        total = 0
        for name in keys:
            try:
                body = s3.get_object(Bucket=bucket, Key=name)["Body"]
            except ClientError as exc:
                raise ServiceError("ValidationException", f"Unable to read the input file s3://{bucket}/{name}: "
                                   f"{exc.response.get('Error', {}).get('Code')}") from None
            for line in body.iter_lines(chunk_size=1024 * 1024):
                if line.strip():
                    spool.write(line + b"\n")
                    total += 1
        return total

    def _records(self, job: Job, spool: IO[bytes], out: IO[bytes]) -> str | None:
        """Every record, in input order; the status that ended the job early (Stopped, Expired) or None."""
        converse = job.request.get("modelInvocationType") == "Converse"
        operation = "Converse" if converse else "InvokeModel"
        model_id = job.request["modelId"]
        for number, raw in enumerate(spool, start=1):
            if job.stop_requested:
                return "Stopped"
            expire_after = self.faults.expire_after
            if expire_after is not None and number > expire_after:
                return "Expired"
            if self.faults.per_record_ms:
                time.sleep(self.faults.per_record_ms / 1000)
            line = self._record(job, operation, model_id, raw, number, converse)
            out.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
        return None

    def _record(self, job: Job, operation: str, model_id: str, raw: bytes, number: int,
                converse: bool) -> dict[str, Any]:
        try:
            record = json.loads(raw)
        except ValueError:
            record = None
        if not isinstance(record, dict) or not isinstance(record.get("modelInput"), dict):
            self._count(job, ok=False)
            return {"recordId": f"{number:011d}", "error": {"errorCode": 400, "errorMessage":
                    "Malformed input record: expected a JSON object with recordId and modelInput."}}
        record_id = str(record.get("recordId") or f"{number:011d}")
        line: dict[str, Any] = {"recordId": record_id, "modelInput": record["modelInput"]}
        failure = self.faults.record_failure(record_id)
        if failure is not None:
            self._count(job, ok=False)
            line["error"] = {"errorCode": failure[0], "errorMessage": failure[1]}
            return line
        try:
            response = self._answer(operation, model_id, record["modelInput"], f"{job.job_id}-{number}")
        except ServiceError as error:
            self._count(job, ok=False)
            line["error"] = {"errorCode": error.status, "errorMessage": error.message}
            return line
        try:
            answer = json.loads(response.body) if response.body else {}
        except ValueError:
            answer = {}
        if response.status != 200:
            self._count(job, ok=False)
            line["error"] = {"errorCode": response.status, "errorMessage": answer.get("message", "")}
            return line
        headers = {k.lower(): v for k, v in response.headers}
        inp = int(headers.get("x-amzn-bedrock-input-token-count", 0))
        outp = int(headers.get("x-amzn-bedrock-output-token-count", 0))
        if converse:
            usage = answer.get("usage") or {}
            inp, outp = int(usage.get("inputTokens", 0)), int(usage.get("outputTokens", 0))
        else:
            answer["amazon-bedrock-invocationMetrics"] = {
                "inputTokenCount": inp,
                "outputTokenCount": outp,
                "invocationLatency": int(headers.get("x-amzn-bedrock-invocation-latency", 0)),
                "firstByteLatency": int(headers.get("x-amzn-bedrock-invocation-latency", 0)),
            }
        line["modelOutput"] = answer
        self._count(job, ok=True, input_tokens=inp, output_tokens=outp)
        return line

    def _count(self, job: Job, *, ok: bool, input_tokens: int = 0, output_tokens: int = 0) -> None:
        with self._lock:
            job.processed += 1
            if ok:
                job.success += 1
            else:
                job.errors += 1
            job.input_tokens += input_tokens
            job.output_tokens += output_tokens

    def _write_output(self, s3: Any, job: Job, input_uri: str, out: IO[bytes]) -> None:
        """`<output prefix>/<job id>/<input file name>.out` and `manifest.json.out`, as Bedrock lays them out."""
        bucket, prefix = _split_uri(job.request["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"])
        folder = "/".join(p for p in (prefix.strip("/"), job.job_id) if p)
        name = input_uri.rstrip("/").rsplit("/", 1)[-1] if input_uri.endswith(".jsonl") else "records.jsonl"
        out.seek(0)
        s3.upload_fileobj(out, bucket, f"{folder}/{name}.out")
        with self._lock:
            manifest = {
                "totalRecordCount": job.total,
                "processedRecordCount": job.processed,
                "successRecordCount": job.success,
                "errorRecordCount": job.errors,
                "inputTokenCount": job.input_tokens,
                "outputTokenCount": job.output_tokens,
            }
        s3.put_object(Bucket=bucket, Key=f"{folder}/manifest.json.out", Body=json.dumps(manifest).encode())


def _query_time(query: dict[str, str], name: str) -> float | None:
    value = query.get(name)
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        try:
            return float(value)
        except ValueError:
            raise ServiceError("ValidationException", f"{name} is not a timestamp: {value!r}") from None

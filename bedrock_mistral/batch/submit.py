"""Submit neutral requests as Bedrock Batch Inference jobs (or on demand when too few), and re-attach.

Order of work: check the job settings, validate and encode every record into local spool files (a bad
record stops everything here), upload each file to S3, then `CreateModelInvocationJob` per file with a
`clientRequestToken` derived from the file's content, so a retried submission finds its job instead of
creating a second one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bedrock_mistral.batch import ondemand, parts, records, s3
from bedrock_mistral.batch.aws import CONTROL_SERVICE, control_endpoint, service_client
from bedrock_mistral.batch.errors import BatchInputError, BatchMinimumError
from bedrock_mistral.batch.jobs import META_SUFFIX, BatchJob, JobPart, JobStatus
from bedrock_mistral.batch.s3 import S3Location
from bedrock_mistral.catalog import BatchLimits
from bedrock_mistral.errors import ConfigurationError, UnsupportedFeatureError

if TYPE_CHECKING:
    from bedrock_mistral.client import BedrockClient

_JOB_NAME = re.compile(r"^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\+\-\.]){0,63}$")
_ROLE_ARN = re.compile(r"^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+$")
_TOKEN = re.compile(r"^[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}$")
_TAG = re.compile(r"^[a-zA-Z0-9\s._:/=+@-]*$")
MAX_JOB_NAME = 63
JOB_OPTIONS = (
    "job_name",
    "timeout_hours",
    "tags",
    "client_request_token",
    "batch_only",
    "limits",
    "s3_endpoint_url",
    "control_endpoint_url",
    "s3_client",
    "control_client",
    "max_concurrency",
)
"""`submit_batch` keyword arguments that configure the job; adapters pass the rest to the model."""


def split_job_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop the job options out of `kwargs`, leaving an adapter's per-call model arguments."""
    return {name: kwargs.pop(name) for name in JOB_OPTIONS if name in kwargs}


def limits_for(client: BedrockClient, override: BatchLimits | None = None) -> BatchLimits:
    if override is not None:
        return override
    if client.spec.batch is None:
        raise UnsupportedFeatureError(
            f"model {client.spec.model_id!r} is not listed for Bedrock Batch Inference; use abatch/batch on demand"
        )
    return client.spec.batch


def _check_settings(
    role_arn: str, job_name: str | None, timeout_hours: int | None, tags: Mapping[str, str], token: str | None,
    limits: BatchLimits,
) -> None:
    if not isinstance(role_arn, str) or not _ROLE_ARN.match(role_arn):
        raise ConfigurationError(f"role_arn must be an IAM role ARN (arn:aws:iam::123456789012:role/NAME), got {role_arn!r}")
    if job_name is not None and (not _JOB_NAME.match(job_name) or len(job_name) > MAX_JOB_NAME - 8):
        raise ConfigurationError(
            f"job_name {job_name!r}: letters, digits, '+', '-', '.' only, starting with a letter or digit, "
            f"at most {MAX_JOB_NAME - 8} characters (a part suffix is added when the input is split)"
        )
    window = limits.timeout_hours
    if timeout_hours is not None and not window.contains(timeout_hours):
        raise ConfigurationError(f"timeout_hours={timeout_hours!r}: allowed {window.describe()} hours")
    for key, value in tags.items():
        if not (1 <= len(key) <= 128 and _TAG.match(key) and len(value) <= 256 and _TAG.match(value)):
            raise ConfigurationError(f"tag {key!r}={value!r}: keys 1-128 and values 0-256 of letters, digits, "
                                     "spaces and . _ : / = + @ -")
    if token is not None and not _TOKEN.match(token):
        raise ConfigurationError(f"client_request_token {token!r}: letters, digits and single hyphens only")


def map_inputs(inputs: Sequence[Any] | Mapping[Any, Any], build: Any) -> list[Any] | dict[Any, Any]:
    """An adapter's inputs (a list, or a mapping of key -> input) as neutral requests, keys kept."""
    if isinstance(inputs, Mapping):
        return {key: build(value) for key, value in inputs.items()}
    return [build(value) for value in inputs]


def _inputs(requests: Sequence[Any] | Mapping[Any, Any]) -> tuple[Sequence[Any], list[Any] | None]:
    if isinstance(requests, Mapping):
        return list(requests.values()), list(requests.keys())
    if isinstance(requests, (str, bytes)) or not isinstance(requests, Sequence):
        requests = list(requests)
    return requests, None


def submit_batch(
    client: BedrockClient,
    requests: Sequence[Any] | Mapping[Any, Any],
    *,
    s3_uri: str,
    role_arn: str,
    job_name: str | None = None,
    timeout_hours: int | None = None,
    tags: Mapping[str, str] | None = None,
    client_request_token: str | None = None,
    batch_only: bool = False,
    limits: BatchLimits | None = None,
    s3_endpoint_url: str | None = None,
    control_endpoint_url: str | None = None,
    s3_client: Any = None,
    control_client: Any = None,
    max_concurrency: int = 16,
) -> BatchJob:
    """Run `requests` (ChatRequest / CompletionRequest, a list or a mapping of key -> request) as Bedrock
    Batch Inference jobs. Fewer than the model's minimum run on demand instead, unless `batch_only`."""
    limits = limits_for(client, limits)
    tags = dict(tags or {})
    _check_settings(role_arn, job_name, timeout_hours, tags, client_request_token, limits)
    location = S3Location.parse(s3_uri)
    items, keys = _inputs(requests)
    if not items:
        raise ConfigurationError("no records to submit")
    if len(items) < limits.min_records:
        if batch_only:
            raise BatchMinimumError(
                f"{len(items)} records is under the minimum of {limits.min_records} records per batch "
                f"inference job for {client.spec.model_id}; add records, or allow on-demand calls "
                "(batch_only=False)"
            )
        encoded = [records.encode(client, index, request) for index, request in enumerate(items)]
        return BatchJob([], keys=keys, on_demand=ondemand.run(client, encoded, keys, max_concurrency))
    spooled = parts.spool(client, items, limits)
    control = control_client or service_client(
        client.settings, CONTROL_SERVICE, control_endpoint_url or control_endpoint(client.settings.endpoint_url)
    )
    storage = s3_client or service_client(client.settings, "s3", s3_endpoint_url)
    job_parts: list[JobPart] = []
    try:
        for number, part in enumerate(spooled, start=1):
            job_parts.append(
                _submit_part(
                    client, control, storage, part, number, len(spooled), location, role_arn,
                    job_name, timeout_hours, tags, client_request_token, keys,
                )
            )
    finally:
        for part in spooled:
            part.close()
    return BatchJob(job_parts, control=control, s3_client=storage, keys=keys)


def _submit_part(
    client: BedrockClient,
    control: Any,
    storage: Any,
    part: parts.Part,
    number: int,
    count: int,
    location: S3Location,
    role_arn: str,
    job_name: str | None,
    timeout_hours: int | None,
    tags: Mapping[str, str],
    token: str | None,
    keys: Sequence[Any] | None,
) -> JobPart:
    digest = part.digest.copy()
    digest.update(f"{client.model_id}|{role_arn}|{location.uri}|{job_name}|{timeout_hours}".encode())
    fingerprint = digest.hexdigest()
    base = job_name or f"mistral-batch-{fingerprint[:16]}"
    name = base if count == 1 else f"{base}-part{number}"
    folder = location.child(name)
    input_file = folder.child("input", f"{name}.jsonl")
    default_stop = tuple(client.params.stop)
    meta = {
        "first_index": part.first_index,
        "count": part.count,
        "default_stop": list(default_stop),
        "stops": {str(k): v for k, v in part.stops.items()},
        "keys": _json_keys(keys, part.first_index, part.count),
    }
    s3.upload(storage, part.file, input_file)
    s3.put_json(storage, S3Location(input_file.bucket, input_file.key + META_SUFFIX), meta)
    request: dict[str, Any] = {
        "jobName": name,
        "roleArn": role_arn,
        "clientRequestToken": f"{token}-{number}" if token and count > 1 else token or fingerprint[:64],
        "modelId": client.model_id,
        "inputDataConfig": {"s3InputDataConfig": {"s3InputFormat": "JSONL", "s3Uri": input_file.uri}},
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": folder.child("output").uri + "/"}},
        "modelInvocationType": records.invocation_type(client),
    }
    if timeout_hours is not None:
        request["timeoutDurationInHours"] = timeout_hours
    if tags:
        request["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
    arn = control.create_model_invocation_job(**request)["jobArn"]
    stops = {int(k): tuple(v) for k, v in part.stops.items()}
    return JobPart(arn, part.first_index, part.count, stops, default_stop)


def _json_keys(keys: Sequence[Any] | None, first: int, count: int) -> list[Any] | None:
    """The part's input keys, kept beside its input so `attach` restores them; None when they are the
    positions themselves or cannot be written as JSON."""
    if keys is None:
        return None
    chunk = list(keys[first : first + count])
    return chunk if all(isinstance(k, (str, int, float, bool)) or k is None for k in chunk) else None


def attach(
    job_arns: str | Sequence[str],
    *,
    client: BedrockClient | None = None,
    control_client: Any = None,
    s3_client: Any = None,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    s3_endpoint_url: str | None = None,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    profile_name: str | None = None,
) -> BatchJob:
    """Re-open submitted jobs from any process: their input rows, keys and stop sequences are read
    back from the metadata stored beside each input file. Connection settings come from `client` (a
    BedrockClient) when given, else from the keyword arguments and the usual AWS configuration."""
    from bedrock_mistral.transport.clients import ClientSettings

    arns = [job_arns] if isinstance(job_arns, str) else list(job_arns)
    if not arns:
        raise ConfigurationError("attach needs at least one job ARN")
    settings = client.settings if client is not None else ClientSettings(
        region_name=region_name,
        endpoint_url=endpoint_url,
        profile_name=profile_name,
        aws_access_key_id=aws_access_key_id,
        aws_secret_access_key=aws_secret_access_key,
    )
    control = control_client or service_client(settings, CONTROL_SERVICE, control_endpoint(endpoint_url or settings.endpoint_url))
    storage = s3_client or service_client(settings, "s3", s3_endpoint_url)
    job_parts: list[JobPart] = []
    keys: list[Any] = []
    have_keys = True
    for arn in arns:
        job = JobStatus.from_api(control.get_model_invocation_job(jobIdentifier=arn))
        meta_location = S3Location(job.input.bucket, job.input.key + META_SUFFIX)
        meta = s3.get_json(storage, meta_location) if s3.exists(storage, meta_location) else None
        if meta is None:
            first, count = _scan_input(storage, job.input)
            meta = {"first_index": first, "count": count}
        part = JobPart(
            job.arn,
            int(meta["first_index"]),
            int(meta["count"]),
            {int(k): tuple(v) for k, v in (meta.get("stops") or {}).items()},
            tuple(meta.get("default_stop") or ()),
        )
        job_parts.append(part)
        if meta.get("keys") is None:
            have_keys = False
        else:
            keys.extend(meta["keys"])
    job_parts.sort(key=lambda p: p.first_index)
    positional = have_keys and job_parts[0].first_index == 0
    return BatchJob(job_parts, control=control, s3_client=storage, keys=_KeyView(job_parts, keys) if positional else None)


class _KeyView(Sequence[Any]):
    """Keys of attached parts by global input position (parts may not start at zero)."""

    def __init__(self, job_parts: Sequence[JobPart], keys: list[Any]) -> None:
        self._starts = [(p.first_index, p.count) for p in job_parts]
        self._keys = keys

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, index: Any) -> Any:
        offset = 0
        for first, count in self._starts:
            if first <= index < first + count:
                return self._keys[offset + index - first]
            offset += count
        return index


def _scan_input(storage: Any, location: S3Location) -> tuple[int, int]:
    """A job submitted by other tools: its rows are the record ids of its input file."""
    import json

    first, count = None, 0
    for raw in s3.lines(storage, location):
        if not raw.strip():
            continue
        index = records.index_of(json.loads(raw).get("recordId"))
        if index is None:
            raise BatchInputError(count, f"{location.uri} was not written by bedrock-mistral (record ids)")
        first = index if first is None else first
        count += 1
    return first or 0, count

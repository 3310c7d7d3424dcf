"""S3 locations, streaming uploads (multipart for large files) and line-by-line downloads."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from bedrock_mistral.errors import ConfigurationError

_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][-.a-z0-9]{1,61}[a-z0-9])(?:/(?P<key>.*))?$")
MULTIPART_THRESHOLD = 8 * 1024 * 1024
LINE_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str
    """A key or a prefix without a leading slash ("" for the bucket's root)."""

    @classmethod
    def parse(cls, uri: str) -> S3Location:
        match = _URI.match(uri.strip()) if isinstance(uri, str) else None
        if match is None:
            raise ConfigurationError(f"not an S3 URI: {uri!r}; expected s3://bucket/prefix")
        return cls(match.group("bucket"), (match.group("key") or "").strip("/"))

    def child(self, *names: str) -> S3Location:
        return S3Location(self.bucket, "/".join(p for p in (self.key, *names) if p))

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}" if self.key else f"s3://{self.bucket}"

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


def upload(s3: Any, file: IO[bytes], location: S3Location) -> None:
    """Stream a file to S3; boto3 switches to a multipart upload above the threshold."""
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=MULTIPART_THRESHOLD)
    s3.upload_fileobj(file, location.bucket, location.key, Config=config)


def put_json(s3: Any, location: S3Location, value: Any) -> None:
    s3.put_object(Bucket=location.bucket, Key=location.key, Body=json.dumps(value).encode("utf-8"))


def get_json(s3: Any, location: S3Location) -> Any:
    return json.loads(s3.get_object(Bucket=location.bucket, Key=location.key)["Body"].read())


def exists(s3: Any, location: S3Location) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3.head_object(Bucket=location.bucket, Key=location.key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def lines(s3: Any, location: S3Location) -> Iterator[bytes]:
    """The object's lines, read in chunks: memory stays flat whatever the file's size."""
    body = s3.get_object(Bucket=location.bucket, Key=location.key)["Body"]
    try:
        yield from body.iter_lines(chunk_size=LINE_CHUNK)
    finally:
        body.close()

"""Inference profiles: CreateInferenceProfile, GetInferenceProfile, ListInferenceProfiles, DeleteInferenceProfile.

System-defined cross-region profiles (`us.`, `eu.`, `apac.`, `global.`) exist for every catalog model; like
Bedrock, a region lists its own geography's profiles and the global ones. Application profiles are created
from a foundation model or a system-defined profile; their ARN is a model id the runtime answers as the base
model. Shapes and constraints follow botocore's `bedrock` service model.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
import string
import threading
from dataclasses import dataclass, field
from typing import Any

from bedrock_mistral import catalog
from bedrock_mistral.local.control.routing import ControlRequest, ControlResponse, Route
from bedrock_mistral.local.service_errors import ServiceError, constraint_violations

GEOGRAPHIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "us": ("US", ("us-east-1", "us-east-2", "us-west-2")),
    "eu": ("EU", ("eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1")),
    "apac": ("APAC", ("ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2")),
    "global": ("Global", ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1")),
}
"""Cross-region profile prefixes: the name's label and the regions a request may be routed to."""
_REGION_GEOGRAPHY = {"us": "us", "eu": "eu", "ap": "apac"}
NAME_PATTERN = r"([0-9a-zA-Z][ _-]?)+"
SOURCE_PATTERN = (
    r"arn:aws(|-us-gov|-cn|-iso|-iso-b):bedrock:(|[0-9a-z-]{0,20}):(|[0-9]{12}):"
    r"(inference-profile|foundation-model)/[a-zA-Z0-9-:.]+"
)
APPLICATION_ARN = re.compile(
    r"^arn:aws[a-z-]*:bedrock:(?P<region>[0-9a-z-]*):(?P<account>\d{12}):application-inference-profile/"
    r"(?P<id>[a-z0-9]+)$"
)
TYPES = ("SYSTEM_DEFINED", "APPLICATION")
_ID_ALPHABET = string.ascii_lowercase + string.digits


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def geographies_for(region: str) -> list[str]:
    """The cross-region prefixes a region lists: its own geography, then global."""
    own = _REGION_GEOGRAPHY.get(region.split("-", 1)[0])
    return [own, "global"] if own else ["global"]


@dataclass
class Profile:
    """One inference profile, as GetInferenceProfile describes it."""

    profile_id: str
    name: str
    arn: str
    kind: str
    """SYSTEM_DEFINED or APPLICATION"""
    model_arns: list[str]
    base_model_id: str
    description: str | None = None
    created_at: str = field(default_factory=_now)
    tags: list[dict[str, str]] = field(default_factory=list)
    client_token: str | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "inferenceProfileName": self.name,
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
            "inferenceProfileArn": self.arn,
            "models": [{"modelArn": arn} for arn in self.model_arns],
            "inferenceProfileId": self.profile_id,
            "status": "ACTIVE",
            "type": self.kind,
        }
        if self.description is not None:
            out["description"] = self.description
        return out


class InferenceProfiles:
    """The profiles one emulator knows; thread-safe."""

    def __init__(self, region_name: str, account_id: str) -> None:
        self.region_name = region_name
        self.account_id = account_id
        self._lock = threading.Lock()
        self._system = self._system_profiles()
        self._application: dict[str, Profile] = {}

    def routes(self) -> list[Route]:
        return [
            Route("CreateInferenceProfile", "POST", "/inference-profiles", self._create),
            Route("ListInferenceProfiles", "GET", "/inference-profiles", self._list),
            Route(
                "GetInferenceProfile", "GET", "/inference-profiles/{inferenceProfileIdentifier}", self._get
            ),
            Route(
                "DeleteInferenceProfile",
                "DELETE",
                "/inference-profiles/{inferenceProfileIdentifier}",
                self._delete,
            ),
        ]

    # --- what the runtime and tests use ------------------------------------------------------------

    def base_model_id(self, model_id: str) -> str | None:
        """The base model an application inference profile ARN answers as, or None if it is not one."""
        match = APPLICATION_ARN.match(model_id)
        if match is None:
            return None
        with self._lock:
            profile = self._application.get(match.group("id"))
        return profile.base_model_id if profile is not None and profile.arn == model_id else None

    def create(self, name: str, copy_from: str, *, description: str | None = None) -> str:
        """Create an application inference profile from Python; returns its ARN."""
        body = {"inferenceProfileName": name, "modelSource": {"copyFrom": copy_from}}
        if description is not None:
            body["description"] = description
        request = ControlRequest("POST", "/inference-profiles", {}, {}, body)
        return str(self._create(request).body["inferenceProfileArn"])

    def clear(self) -> None:
        with self._lock:
            self._application.clear()

    # --- operations -----------------------------------------------------------------------------------

    def _create(self, request: ControlRequest) -> ControlResponse:
        body = request.body if isinstance(request.body, dict) else {}
        name = body.get("inferenceProfileName")
        source = (
            (body.get("modelSource") or {}).get("copyFrom")
            if isinstance(body.get("modelSource"), dict)
            else None
        )
        problems = []
        if name is None:
            problems.append(
                "Value null at 'inferenceProfileName' failed to satisfy constraint: Member must not be null"
            )
        elif not isinstance(name, str) or not 1 <= len(name) <= 64 or not re.fullmatch(NAME_PATTERN, name):
            problems.append(
                f"Value '{name}' at 'inferenceProfileName' failed to satisfy constraint: Member must satisfy "
                f"regular expression pattern: {NAME_PATTERN}"
            )
        if body.get("modelSource") is None:
            problems.append(
                "Value null at 'modelSource' failed to satisfy constraint: Member must not be null"
            )
        elif not isinstance(source, str) or not re.fullmatch(SOURCE_PATTERN, source):
            problems.append(
                f"Value '{source}' at 'modelSource.copyFrom' failed to satisfy constraint: Member must satisfy "
                f"regular expression pattern: {SOURCE_PATTERN}"
            )
        if problems:
            raise constraint_violations(problems)
        assert isinstance(name, str) and isinstance(source, str)
        model_arns, base = self._source_models(source)
        token = body.get("clientRequestToken")
        with self._lock:
            for existing in self._application.values():
                if token is not None and existing.client_token == token and existing.name == name:
                    return ControlResponse(201, {"inferenceProfileArn": existing.arn, "status": "ACTIVE"})
                if existing.name == name:
                    # Not a recorded message: the emulator's wording for Bedrock's ConflictException.
                    raise ServiceError(
                        "ConflictException", f"An inference profile named {name} already exists.", 409
                    )
            profile_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))
            arn = f"arn:aws:bedrock:{self.region_name}:{self.account_id}:application-inference-profile/{profile_id}"
            self._application[profile_id] = Profile(
                profile_id,
                name,
                arn,
                "APPLICATION",
                model_arns,
                base,
                description=body.get("description"),
                tags=list(body.get("tags") or []),
                client_token=token,
            )
        return ControlResponse(201, {"inferenceProfileArn": arn, "status": "ACTIVE"})

    def _get(self, request: ControlRequest) -> ControlResponse:
        return ControlResponse(200, self._find(request.params["inferenceProfileIdentifier"]).describe())

    def _delete(self, request: ControlRequest) -> ControlResponse:
        profile = self._find(request.params["inferenceProfileIdentifier"])
        if profile.kind != "APPLICATION":
            # Not a recorded message: the emulator's wording for deleting a system-defined profile.
            raise ServiceError(
                "ValidationException",
                f"The inference profile {profile.profile_id} is system-defined and can't be deleted.",
            )
        with self._lock:
            self._application.pop(profile.profile_id, None)
        return ControlResponse(200, {})

    def _list(self, request: ControlRequest) -> ControlResponse:
        query = request.query
        problems = []
        kind = query.get("type")
        if kind is not None and kind not in TYPES:
            problems.append(
                f"Value '{kind}' at 'typeEquals' failed to satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(TYPES)}]"
            )
        size = 1000
        if "maxResults" in query:
            raw = query["maxResults"]
            size = int(raw) if raw.isdigit() else 0
            if not 1 <= size <= 1000:
                problems.append(
                    f"Value '{raw}' at 'maxResults' failed to satisfy constraint: Member must have value less "
                    "than or equal to 1000"
                    if size > 1000
                    else f"Value '{raw}' at 'maxResults' failed to satisfy constraint: Member must have value "
                    "greater than or equal to 1"
                )
        if problems:
            raise constraint_violations(problems)
        start = _offset(query.get("nextToken"))
        with self._lock:
            profiles = list(self._system) + list(self._application.values())
        if kind is not None:
            profiles = [p for p in profiles if p.kind == kind]
        page = profiles[start : start + size]
        body: dict[str, Any] = {"inferenceProfileSummaries": [p.describe() for p in page]}
        if start + size < len(profiles):
            body["nextToken"] = base64.urlsafe_b64encode(f"offset:{start + size}".encode()).decode()
        return ControlResponse(200, body)

    # --- helpers --------------------------------------------------------------------------------------

    def _system_profiles(self) -> list[Profile]:
        profiles = []
        created = "2024-08-28T00:00:00Z"
        for prefix in geographies_for(self.region_name):
            label, regions = GEOGRAPHIES[prefix]
            for spec in catalog.MODELS:
                profile_id = f"{prefix}.{spec.model_id}"
                profiles.append(
                    Profile(
                        profile_id,
                        f"{label} {spec.name}",
                        f"arn:aws:bedrock:{self.region_name}:{self.account_id}:inference-profile/{profile_id}",
                        "SYSTEM_DEFINED",
                        [f"arn:aws:bedrock:{region}::foundation-model/{spec.model_id}" for region in regions],
                        spec.model_id,
                        description=f"Routes requests to {spec.name} in {', '.join(regions)}.",
                        created_at=created,
                    )
                )
        return profiles

    def _find(self, identifier: str) -> Profile:
        with self._lock:
            candidates = list(self._system) + list(self._application.values())
        for profile in candidates:
            if identifier in (profile.profile_id, profile.arn):
                return profile
        # Not a recorded message: the emulator's wording for Bedrock's ResourceNotFoundException.
        raise ServiceError("ResourceNotFoundException", f"Inference profile {identifier} not found.", 404)

    def _source_models(self, source: str) -> tuple[list[str], str]:
        """The model ARNs and base model id of a `copyFrom` ARN: a foundation model or a system profile."""
        kind, _, name = source.split(":", 5)[5].partition("/")
        if kind == "foundation-model":
            spec = catalog.BY_ID.get(name)
            if spec is not None:
                return [source], spec.model_id
        else:
            for profile in self._system:
                if profile.profile_id == name:
                    return list(profile.model_arns), profile.base_model_id
        # Not a recorded message: the emulator's wording for an unknown source model.
        raise ServiceError("ResourceNotFoundException", f"The model {source} was not found.", 404)


def _offset(token: str | None) -> int:
    if token is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if text.startswith("offset:"):
            return int(text[len("offset:") :])
    except ValueError:
        pass
    raise ServiceError("ValidationException", "The pagination token is invalid.")

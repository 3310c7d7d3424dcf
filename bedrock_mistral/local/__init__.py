"""A local, wire-faithful Amazon Bedrock Runtime emulator for Mistral models.

`with LocalBedrock() as bedrock: client = bedrock.client()` gives a boto3 `bedrock-runtime` client that
talks real HTTP, SigV4 and event streams to a server on 127.0.0.1.
"""

from bedrock_mistral.local.app import RecordedRequest
from bedrock_mistral.local.conversation import (
    Conversation,
    ConversationTurn,
    Delta,
    OfferedTool,
    Reply,
    ToolInvocation,
    ToolResult,
)
from bedrock_mistral.local.emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, LocalBedrock
from bedrock_mistral.local.engines.base import Engine
from bedrock_mistral.local.faults import Fault, Faults
from bedrock_mistral.local.quotas import Quota, Quotas
from bedrock_mistral.local.scripts import Matcher, Script, ScriptedReply, ScriptedRequest

__all__ = [
    "DEFAULT_ACCESS_KEY_ID",
    "DEFAULT_SECRET_ACCESS_KEY",
    "Conversation",
    "Delta",
    "Engine",
    "Fault",
    "Faults",
    "LocalBedrock",
    "Matcher",
    "Quota",
    "Quotas",
    "RecordedRequest",
    "Reply",
    "Script",
    "ScriptedReply",
    "ScriptedRequest",
    "ToolInvocation",
    "ToolResult",
    "OfferedTool",
    "ConversationTurn",
]

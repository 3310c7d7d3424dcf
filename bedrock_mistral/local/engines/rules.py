"""The default engine: deterministic answers good enough for agents, RAG pipelines and structured output.

Order of rules: ReAct format, tool results (a forced call, the next step's call, JSON, or a quote: see
after_tools), tools to call, selector prompts (choices), question generation (sub_questions), JSON output,
audio received, RAG context, fallback. Reasoning models think first (see thinking).
"""

from __future__ import annotations

from collections.abc import Iterator

from bedrock_mistral.local import token_counts
from bedrock_mistral.local.conversation import Conversation, Delta, Reply
from bedrock_mistral.local.engines import (
    after_tools,
    answers,
    choices,
    json_output,
    react,
    sub_questions,
    thinking,
    tool_choice,
)
from bedrock_mistral.local.engines.base import stream_reply


def compose(conversation: Conversation) -> Reply:
    """The full answer before max_tokens and stop sequences apply."""
    if react.is_react(conversation):
        return Reply(text=react.answer(conversation))
    last = conversation.turns[-1] if conversation.turns else None
    if last is not None and last.tool_results:
        return after_tools.reply(conversation, last.tool_results)
    calls = tool_choice.tool_calls(conversation, conversation.last_user_text)
    if calls:
        return Reply(tool_calls=calls, stop_reason="tool_calls")
    for pattern in (choices, sub_questions):
        text = pattern.answer(conversation)
        if text is not None:
            return Reply(text=text)
    if json_output.wants_json(conversation):
        return Reply(text=json_output.answer(conversation, answers.default_answer(conversation)))
    clips = thinking.last_audio(conversation)
    if clips:
        return Reply(text=f"{thinking.describe(clips)} {answers.default_answer(conversation)}")
    rag = answers.rag_parts(conversation)
    if rag is not None:
        context, question = rag
        existing = answers.existing_answer(conversation.last_user_text)
        return Reply(text=answers.rag_answer(context, question, existing))
    return Reply(text=answers.default_answer(conversation))


class RulesEngine:
    """Stateless and thread-safe."""

    name = "rules"
    blocking = False
    """Pure computation: the server may run it on its event loop."""

    def reply(self, conversation: Conversation) -> Reply:
        reply = compose(conversation)
        if thinking.reasons(conversation.model_id):
            reply.reasoning = thinking.reasoning(conversation, reply)
        if reply.tool_calls:
            return reply
        text, reason = token_counts.truncate(reply.text, conversation.max_tokens, conversation.stop)
        reply.text = text
        reply.stop_reason = "length" if reason == "length" else "stop_sequence" if reason else "stop"
        return reply

    def stream(self, conversation: Conversation) -> Iterator[Delta]:
        return stream_reply(self.reply(conversation))

"""Text answers of the rules engine: tool results quoted, RAG passages, JSON, and the small-talk fallback."""

from __future__ import annotations

import re

from bedrock_mistral import catalog
from bedrock_mistral.local.conversation import Conversation, ToolResult
from bedrock_mistral.local.engines.words import keywords, overlap, sentences

_LLAMA_CONTEXT = re.compile(
    r"Context information\b[^\n]{0,60}?\bis below\.?\s*-{3,}\s*(?P<context>.*?)\s*-{3,}", re.S
)
_ASKS_NUMBER = re.compile(r"\b(?:when|how (?:many|much|far|long|old|heavy|big|tall)|what (?:year|time|date))\b", re.I)
_LABEL = re.compile(r"^(?:Response|Answer|Result)\s*:\s*", re.I)
_CLAUSES = re.compile(r"\s*(?:[,;?]|\band\b|\balso\b)\s*", re.I)
_LLAMA_QUERY = re.compile(r"Query:\s*(?P<query>.*?)\s*(?:\n\s*Answer:|$)", re.S)
_LANGCHAIN = re.compile(
    r"Context:\s*(?P<context>.*?)\s*(?:Question|Query|Input):\s*(?P<query>.*?)\s*(?:\n\s*(?:Helpful )?Answer:|$)",
    re.S | re.I,
)
_EXISTING = re.compile(r"We have provided an existing answer:\s*(?P<answer>.*?)\n", re.S)
_METADATA = re.compile(r"^[\w .-]{1,40}:\s*\S+$")
_ARITHMETIC = re.compile(r"(-?\d+(?:\.\d+)?)\s*([-+*/×x])\s*(-?\d+(?:\.\d+)?)")
_IDENTITY = re.compile(
    r"\b(who|what|which)\b.*\b(are you|llm|model|your name|yourself)\b|\bintroduce yourself\b", re.I | re.S
)


def sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else text + "."


def quote_tool_results(conversation: Conversation, results: list[ToolResult]) -> str:
    """(a) "The result of get_payment_status is: Paid." for each result of the last turn."""
    parts = []
    for result in results:
        name = result.name or conversation.tool_name_for(result.tool_call_id)
        content = " ".join(result.content.split()) or "(empty)"
        if result.is_error:
            parts.append(sentence(f"The tool {name or ''} failed with: {content}".replace("  ", " ")))
        else:
            parts.append(
                sentence(f"The result of {name} is: {content}" if name else f"The tool returned: {content}")
            )
    return " ".join(parts)


def rag_parts(conversation: Conversation) -> tuple[str, str] | None:
    """(context, question) when the prompt carries retrieved passages (LlamaIndex or LangChain style)."""
    question = conversation.last_user_text
    for text in (question, conversation.system):
        match = _LLAMA_CONTEXT.search(text)
        if match:
            query = _LLAMA_QUERY.search(text[match.end() :])
            return match.group("context"), (query.group("query") if query else question)
        match = _LANGCHAIN.search(text)
        if match and match.group("context").strip():
            return match.group("context"), match.group("query") or question
    if re.search(r"\bcontext\b", conversation.system, re.I) and len(sentences(conversation.system)) > 2:
        return conversation.system, question
    return None


def _fit(passage: str, question: str) -> int:
    """Shared words count double; a question asking when / how many / how far favours a passage with a number."""
    score = 2 * overlap(passage, question)
    if score and _ASKS_NUMBER.search(question) and re.search(r"\d", passage):
        score += 1
    return score


def rag_answer(context: str, question: str, existing: str | None = None) -> str:
    """(d) The passage sentences that share the most words with the question."""
    if existing:
        return existing.strip()
    candidates = [
        _LABEL.sub("", s) for s in sentences(context) if not _METADATA.match(s) and keywords(s) and not s.endswith("?")
    ]
    if not candidates:
        return "The context does not contain an answer to this question."
    scored = sorted(enumerate(candidates), key=lambda p: (-_fit(p[1], question), p[0]))
    best_score = _fit(scored[0][1], question)
    chosen = [scored[0]] + [p for p in scored[1:2] if best_score and _fit(p[1], question) == best_score]
    clauses = [c for c in _CLAUSES.split(question) if keywords(c)]
    if len(clauses) > 1:  # "When was it built, and when is high tide?": the best sentence for each part
        for clause in clauses:
            best = max(enumerate(candidates), key=lambda p: (_fit(p[1], clause), -p[0]))
            if overlap(best[1], clause) > 0 and best not in chosen:
                chosen.append(best)
    return " ".join(sentence(text) for _, text in sorted(chosen))


def existing_answer(text: str) -> str | None:
    match = _EXISTING.search(text)
    return match.group("answer") if match else None


def _arithmetic(question: str) -> str | None:
    match = _ARITHMETIC.search(question)
    if match is None:
        return None
    a, op, b = float(match.group(1)), match.group(2), float(match.group(3))
    results = {"+": a + b, "-": a - b, "*": a * b, "×": a * b, "x": a * b, "/": a / b if b else float("nan")}
    value = results[op]
    shown = int(value) if float(value).is_integer() else round(value, 6)
    return f"{match.group(1)} {op} {match.group(3)} = {shown}."


def default_answer(conversation: Conversation) -> str:
    """(f) A short deterministic answer that depends on the prompt."""
    question = " ".join(conversation.last_user_text.split())
    spec = catalog.find(conversation.model_id)
    name = spec.name if spec else conversation.model_id
    if not question:
        return "Hello! How can I help you today?"
    if _IDENTITY.search(question):
        return (
            f"I am {name} ({conversation.model_id}), a Mistral model emulated locally by the bedrock-mistral "
            f"Bedrock emulator."
        )
    if re.match(r"^(hi|hello|hey|good (morning|afternoon|evening))\b", question, re.I):
        return f"Hello! I am {name}, emulated locally. How can I help you today?"
    arithmetic = _arithmetic(question)
    if arithmetic:
        return arithmetic
    say = re.match(r"^(?:say|repeat)\s*[:,]?\s*[\"'“]?(?P<what>.+?)[\"'”]?\s*[.!]?$", question, re.I)
    if say:
        what = say.group("what")
        return sentence(what[:1].upper() + what[1:])
    topic = question if len(question) <= 160 else question[:157] + "..."
    return f'You asked: "{topic}" This is a deterministic answer from {name}, emulated locally.'

"""bedrock-mistral quickstart: Mistral on Bedrock end to end, with no AWS account and no network.

Starts the local Bedrock emulator in-process and runs every scenario against it: text completion, chat over
InvokeModel and Converse, streaming, JSON output, a LangChain tool loop and a LlamaIndex RAG query. Each
scenario is also a standalone script in this folder. Exits 1 if any step fails.

    python examples/quickstart.py                          # local emulator
    python examples/quickstart.py --aws [--region us-west-2] [--profile P]   # Amazon Bedrock
    python examples/quickstart.py --endpoint-url http://127.0.0.1:8000       # `bedrock-mistral serve`
"""

from __future__ import annotations

import importlib
import sys
import time

from _common import connect, parser

INSTALL = 'pip install -e ".[langchain,llama-index,local]"'
STEPS = (  # (title, example module whose main(connection) runs the step)
    ("Text completion: Mistral 7B Instruct over InvokeModel", "text_completion"),
    ("Chat: Mistral Large 2 over InvokeModel and Converse", "chat"),
    ("Streaming: ConverseStream", "converse_stream"),
    ("JSON output: parsed into a dict", "json_output"),
    ("Tools: payment status with LangChain (ChatBedrockMistral.bind_tools)", "payment_tools_langchain"),
    ("RAG: LlamaIndex query engine over examples/data", "rag_llama_index"),
)


def main() -> int:
    args = parser(__doc__).parse_args()
    failed: list[str] = []
    with connect(args) as connection:
        for number, (title, module) in enumerate(STEPS, 1):
            print(f"\n=== {number}. {title} ===", flush=True)
            start = time.perf_counter()
            try:
                importlib.import_module(module).main(connection)
            except Exception as exc:  # report the step and carry on with the next one
                failed.append(title)
                print(f"FAILED: {type(exc).__name__}: {exc}", flush=True)
                if isinstance(exc, ImportError):
                    print(f"hint: {INSTALL}", flush=True)
            else:
                print(f"--- ok ({time.perf_counter() - start:.2f} s)", flush=True)
    print("\n=== Summary ===")
    print(f"{len(STEPS) - len(failed)}/{len(STEPS)} steps passed")
    for title in failed:
        print(f"FAILED: {title}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

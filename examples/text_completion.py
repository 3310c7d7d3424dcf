"""Text completion with Mistral 7B Instruct over InvokeModel, with the AWS documentation's parameters.

python examples/text_completion.py            # local emulator
python examples/text_completion.py --aws      # Amazon Bedrock
"""

from __future__ import annotations

from _common import Connection, run_example

from bedrock_mistral import BedrockClient, CompletionRequest, InferenceParams

MODEL = "mistral.mistral-7b-instruct-v0:2"
QUESTION = (
    "In Bash, how do I list all text files in the current directory (excluding subdirectories) "
    "that have been modified in the last month?"
)


def main(connection: Connection) -> None:
    client = BedrockClient(MODEL, **connection)
    params = InferenceParams(max_tokens=400, temperature=0.7, top_p=0.7, top_k=50)
    # The transport wraps the prompt in Mistral's template: <s>[INST] ... [/INST]
    answer = client.complete(CompletionRequest(QUESTION, params))
    print(f"Text:\n{answer.text.strip()}\n")
    print(f"Stop reason: {answer.stop_reason}")
    if answer.usage:
        print(f"Tokens: {answer.usage.input_tokens} in, {answer.usage.output_tokens} out")
    if not answer.text.strip():
        raise RuntimeError("the model returned no text")


if __name__ == "__main__":
    run_example(main, __doc__)

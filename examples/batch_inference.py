"""Bedrock Batch Inference from LangChain: 150 support tickets classified in one job, answers back in input
order with their ticket ids, a failed record reported in its own row.

python examples/batch_inference.py                       # the emulator, with moto's S3 server on loopback
python examples/batch_inference.py --aws --s3 s3://my-bucket/batch --role-arn arn:aws:iam::...:role/BatchRole
"""

from __future__ import annotations

import os
import sys
import traceback

from _common import AWS_DEFAULT_REGION, parser

from langchain_bedrock_mistral import ChatBedrockMistral

MODEL = "mistral.mistral-large-2407-v1:0"
TOPICS = ("billing", "login", "shipping")
TICKETS = {f"T{1000 + i}": f"Ticket {i}: my {TOPICS[i % 3]} problem is still not solved." for i in range(150)}
ROLE = "arn:aws:iam::123456789012:role/BedrockBatchRole"


def classify(llm: ChatBedrockMistral, s3_uri: str, role_arn: str, **job_options: object) -> None:
    prompts = {ticket: f"Answer in one word, the topic of this ticket: {text}" for ticket, text in TICKETS.items()}
    job = llm.submit_batch_job(prompts, s3_uri=s3_uri, role_arn=role_arn, **job_options)
    print(f"[submitted] {len(prompts)} records as {len(job.job_arns)} job(s): {job.job_arns[0]}")
    state = job.wait(poll_interval=0.2 if "s3_endpoint_url" in job_options else 60, progress=False)
    print(f"[status] {state.status}: {state.success} answered, {state.errors} failed of {state.total}")
    tokens = 0
    for row in job.results():  # one row per ticket, in input order
        if row.ok:
            tokens += row.output.usage_metadata["total_tokens"] if row.output.usage_metadata else 0
            if row.index < 3:
                print(f"[answer] {row.key}: {row.output.content.strip()[:70]}")
        else:
            print(f"[failed] {row.key} (record {row.index}): {row.error.code} {row.error.reason}")
    print(f"[usage] {tokens} tokens in total")


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--s3", metavar="S3_URI", help="with --aws: where the job's input and output go")
    p.add_argument("--role-arn", metavar="ARN", help="with --aws: the service role Bedrock assumes")
    args = p.parse_args()
    if args.aws or args.profile:
        if not args.s3 or not args.role_arn:
            raise SystemExit("--aws needs --s3 and --role-arn")
        region = args.region or os.environ.get("AWS_REGION") or AWS_DEFAULT_REGION
        classify(ChatBedrockMistral(model=MODEL, region_name=region, max_tokens=20), args.s3, args.role_arn)
        return
    from bedrock_mistral.batch import record_id
    from bedrock_mistral.local import LocalBedrock

    with LocalBedrock(batch=True) as bedrock:
        print(f"[target] local Bedrock emulator at {bedrock.endpoint_url}, S3 at {bedrock.s3_endpoint_url}")
        bedrock.s3_client().create_bucket(Bucket="tickets")
        bedrock.batch_jobs.faults.fail_record(record_id(7), 424, "The model could not answer this record.")
        llm = ChatBedrockMistral(model=MODEL, max_tokens=20, **bedrock.client_kwargs())
        classify(llm, "s3://tickets/batch", ROLE, s3_endpoint_url=bedrock.s3_endpoint_url)


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # an example reports any failure and exits non-zero
        if os.environ.get("EXAMPLES_TRACEBACK"):
            traceback.print_exc()
        print(f"FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)

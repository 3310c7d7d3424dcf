"""Retrieval-augmented generation with LlamaIndex: index the text files in examples/data, ask a question,
and print the answer with its sources. The embedding is a small offline one (offline_embedding.py).

    python examples/rag_llama_index.py [--aws] [--question "..."]
"""

from __future__ import annotations

from pathlib import Path

from _common import Connection, run_example
from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
from offline_embedding import HashedBagOfWordsEmbedding

from llama_index_bedrock_mistral import BedrockMistral

MODEL = "mistral.mistral-large-2407-v1:0"
DATA = Path(__file__).parent / "data"
QUESTION = "Where does Roquefort cheese ripen?"


def main(connection: Connection, question: str = QUESTION) -> str:
    documents = SimpleDirectoryReader(str(DATA)).load_data()
    index = VectorStoreIndex.from_documents(documents, embed_model=HashedBagOfWordsEmbedding())
    llm = BedrockMistral(model=MODEL, temperature=0.0, **connection)
    response = index.as_query_engine(llm=llm, similarity_top_k=2).query(question)
    print(f"Question: {question}")
    print(f"Answer: {str(response).strip()}")
    print("Sources:")
    for source in response.source_nodes:
        print(f"  - {source.node.metadata.get('file_name')} (score {source.score:.2f})")
    # LlamaIndex's refine step logs and drops ValueErrors raised by the LLM, answering "Empty Response".
    if str(response).strip() in ("", "Empty Response") or not response.source_nodes:
        raise RuntimeError("no answer or no sources (run with logging on to see the LLM's error)")
    return str(response)


if __name__ == "__main__":
    run_example(main, __doc__)

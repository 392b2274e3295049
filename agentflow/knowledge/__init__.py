"""Knowledge bases: documents parsed, chunked and embedded for retrieval (RAG)."""

"""Knowledge bases: documents, ingestion, embeddings and retrieval."""

-- Prefect keeps its schema in its own database on the same server; pg_trgm is what it needs.
CREATE DATABASE prefect OWNER agentflow;
\connect prefect
CREATE EXTENSION IF NOT EXISTS pg_trgm;
\connect agentflow
CREATE EXTENSION IF NOT EXISTS vector;

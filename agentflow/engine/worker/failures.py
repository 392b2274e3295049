"""How a step failure is recorded and handed to Prefect: one StepError, masked, with kind, attempts, tokens
and cost (agentflow/nodes/errors.py is the contract)."""

from __future__ import annotations

import asyncio

from agentflow.nodes.errors import ErrorKind, StepError, error_kind
from agentflow.secrets.masking import Masker


def failure_kind(exc: BaseException) -> ErrorKind:
    """The kind of any failure, a cancellation included (it is no Exception)."""
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    return error_kind(exc)


def masked_error(exc: BaseException, masker: Masker, *, attempts: int = 1) -> StepError:
    """The failure as it may be recorded and handed to Prefect: message and output masked, the same kind,
    code, tokens and cost, with nothing of the original exception (its message may hold a secret) attached."""
    if isinstance(exc, StepError):
        return StepError(
            masker.mask_text(exc.message),
            output=masker.mask(exc.output),
            kind=exc.kind,
            code=exc.code,
            tokens=exc.tokens,
            cost_usd=exc.cost_usd,
            attempts=attempts,
        )
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return StepError(masker.mask_text(detail), kind=failure_kind(exc), attempts=attempts)

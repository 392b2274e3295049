"""One step: render the node's config against what ran before, run its handler.

Secrets: a node sees only the org secrets it references by name (`{{env.NAME}}`, or a field that names a
secret such as `auth.secret`); referencing them any other way (`{{env}}`, `env[name]`) fails the step. What
is recorded as the step's input is the config rendered a second time with a placeholder for each secret, so
no transformation of a secret (`|upper`, slicing, `|replace`, concatenation) reaches a record.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from agentflow.engine.worker.walker import StepScope
from agentflow.graph import AgentDefinition, Node, TemplateError, build_context, render_node_config
from agentflow.nodes.context import NodeContext, NodeResult
from agentflow.nodes.errors import PermanentStepError
from agentflow.nodes.registry import handler_for, spec_for
from agentflow.templating import list_references

REDACTED_INPUT = {"redacted": "This step's input uses secrets in a way that cannot be shown"}


def placeholder(name: str) -> str:
    """What a secret reads as in recorded inputs."""
    return f"[secret {name}]"


@dataclasses.dataclass(frozen=True)
class StepInput:
    config: dict[str, Any]  # for the handler: the secrets it references rendered in
    recorded: Any  # for every record: the secrets as placeholders
    secrets: dict[str, str]  # the env the handler sees: the secrets this node references, no others
    sensitive: tuple[str, ...]  # rendered strings that carry a secret: masked wherever the step writes


def secret_names(node: Node) -> frozenset[str]:
    """The org secrets a node uses; PermanentStepError when a template reaches for secrets by anything but a
    fixed name (then no one can tell which it reads)."""
    names: set[str] = set()
    for reference in list_references(node.config):
        if reference.kind != "env":
            continue
        if not reference.path or not isinstance(reference.path[0], str):  # `env`, `env[name]`
            raise PermanentStepError(
                f"Node {node.id}: {reference.field or 'a template'} must name each secret it uses, "
                "as {{env.NAME}}"
            )
        names.add(reference.path[0])
    config = node.config.model_dump(mode="json", by_alias=True)
    for path in spec_for(node.type).secret_fields:  # fields such as `auth.secret` name a secret
        names.update(_named_at(config, path))
    return frozenset(names)


def _named_at(value: Any, path: tuple[str, ...]) -> list[str]:
    """The secret names at `path`; `*` steps into every item of a list (`tools.*.auth.secret`)."""
    if not path:
        return [value] if isinstance(value, str) and value else []
    head, rest = path[0], path[1:]
    if head == "*":
        return [name for item in value for name in _named_at(item, rest)] if isinstance(value, list) else []
    return _named_at(value.get(head), rest) if isinstance(value, dict) else []


def definition_secret_names(definition: AgentDefinition) -> frozenset[str]:
    """Every secret any node of the definition names: what an execution reads from Vault, and no more."""
    names: set[str] = set()
    for node in definition.nodes:
        try:
            names |= secret_names(node)
        except PermanentStepError:
            continue  # that node's step fails when it runs
    return frozenset(names)


def _fragment(real: str, recorded: str) -> str:
    """The part of a rendered string that came from secrets: what lies between the text it shares with its
    placeholder rendering at the start and at the end (a URL's query value, a header's token)."""
    start = 0
    while start < min(len(real), len(recorded)) and real[start] == recorded[start]:
        start += 1
    end = 0
    while end < min(len(real), len(recorded)) - start and real[-1 - end] == recorded[-1 - end]:
        end += 1
    return real[start : len(real) - end]


def _changed_strings(real: Any, recorded: Any) -> list[str]:
    """What of the real rendering differs from the placeholder rendering: those parts carry a secret."""
    if isinstance(real, str):
        if real == recorded:
            return []
        return [_fragment(real, recorded) if isinstance(recorded, str) else real]
    if isinstance(real, Mapping) and isinstance(recorded, Mapping):
        return [s for key, value in real.items() for s in _changed_strings(value, recorded.get(key))]
    if isinstance(real, list) and isinstance(recorded, list) and len(real) == len(recorded):
        return [s for a, b in zip(real, recorded, strict=True) for s in _changed_strings(a, b)]
    return [] if real == recorded else [str(real)]


def prepare_step(
    node: Node,
    scope: StepScope,
    *,
    trigger_id: str,
    env: Mapping[str, str],
    execution_id: str,
    recorded_outputs: Mapping[str, Any] | None = None,
    names: frozenset[str] | None = None,
) -> StepInput:
    """The node's config with every `{{…}}` resolved (a failed reference fails the step, clearly), and what
    the records may show of it. `recorded_outputs` are masked upstream outputs, when some held a secret;
    `names` are the node's `secret_names`, when the caller has them already."""
    names = secret_names(node) if names is None else names
    secrets = {name: env[name] for name in names if name in env}

    def rendered(outputs: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
        context = build_context(
            outputs, trigger_id=trigger_id, env=values, loop=scope.loop, execution_id=execution_id
        )
        return render_node_config(node, context)

    try:
        config = rendered(scope.outputs, secrets)
    except TemplateError as exc:
        raise PermanentStepError(f"Node {node.id}: {exc}") from None
    if not secrets and recorded_outputs is None:
        return StepInput(config=config, recorded=config, secrets={}, sensitive=())
    try:
        recorded: Any = rendered(
            scope.outputs if recorded_outputs is None else recorded_outputs,
            {name: placeholder(name) for name in secrets},
        )
    except TemplateError:  # e.g. `{{env.PORT | int}}`: the placeholder is no number; show nothing of it
        recorded = REDACTED_INPUT
    sensitive = tuple(s for s in _changed_strings(config, recorded) if s)
    return StepInput(config=config, recorded=recorded, secrets=secrets, sensitive=sensitive)


async def execute_step(
    node: Node, config: dict[str, Any], scope: StepScope, base: NodeContext, *, secrets: Mapping[str, str]
) -> NodeResult:
    """Run the node's handler with the rendered config and only the secrets the node references."""
    ctx = dataclasses.replace(base, run_loop_body=scope.run_loop_body, env=secrets)
    return await handler_for(node.type).run(node, config, ctx)

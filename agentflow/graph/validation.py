"""Validates a definition for saving (draft) or publishing: graph rules, references and node configs."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Set
from typing import Any

from agentflow.graph.catalog import LOOP_BODY_HANDLE, output_handles, template_strings
from agentflow.graph.checks import check_node
from agentflow.graph.definition import DEFAULT_HANDLE, AgentDefinition, Node
from agentflow.graph.errors import DefinitionError, TemplateError
from agentflow.graph.fast_mode import fast_mode_issues
from agentflow.graph.outputs import closed_output_keys
from agentflow.graph.parsing import parse_definition
from agentflow.graph.report import Issue, Severity, ValidationReport
from agentflow.graph.topology import AgentGraph
from agentflow.nodes.models import TriggerNode
from agentflow.templating import (
    JINJA_GLOBALS,
    SPECIAL_ROOTS,
    Reference,
    references_in,
    unsafe_constructs,
)

__all__ = ["RESERVED_NODE_IDS", "parse_definition", "validate_definition"]

# Ids that would shadow a reference root or a Jinja name, so `{{id.output}}` could not mean the node.
RESERVED_NODE_IDS: frozenset[str] = (
    SPECIAL_ROOTS
    | JINJA_GLOBALS
    | frozenset({"and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "self", "caller"})
    | frozenset({"varargs", "kwargs"})
)
LOOP_VARIABLES = ("item", "index")
EXECUTION_VARIABLES = ("id",)


def validate_definition(
    defn: AgentDefinition | Mapping[str, Any], *, for_publish: bool, known_env: Iterable[str] | None = None
) -> ValidationReport:
    """Every problem in the definition: errors block publishing, warnings do not.

    Raw data is parsed first; if its shape is wrong the report holds only the shape errors. Unreachable nodes
    are warnings on a draft and errors on publish; unknown secrets are checked only when `known_env` is given.
    """
    report = ValidationReport()
    if not isinstance(defn, AgentDefinition):
        try:
            defn = parse_definition(defn)
        except DefinitionError as exc:
            for issue in exc.issues:
                report.add(issue)
            return report
    _Validator(defn, report, for_publish=for_publish, known_env=known_env).run()
    return report


class _Validator:
    def __init__(
        self,
        defn: AgentDefinition,
        report: ValidationReport,
        *,
        for_publish: bool,
        known_env: Iterable[str] | None,
    ) -> None:
        self.defn = defn
        self.report = report
        self.for_publish = for_publish
        self.known_env: Set[str] | None = None if known_env is None else frozenset(known_env)
        self.nodes = defn.node_map()
        self.graph = AgentGraph(defn)

    def run(self) -> None:
        self._check_ids()
        self._check_trigger()
        self._check_edges()
        self._check_cycles()
        self._check_loop_bodies()
        self._check_reachability()
        for node in self.defn.nodes:
            self._check_references(node)
            for finding in check_node(node, known_env=self.known_env):
                self._node(finding.code, node.id, finding.field, finding.text, finding.severity)
        for issue in fast_mode_issues(self.defn):
            self.report.add(issue)

    def _node(
        self, code: str, node_id: str, field: str | None, text: str, severity: Severity = "error"
    ) -> None:
        where = f"node '{node_id}' {field}" if field else f"node '{node_id}'"
        self.report.add(
            Issue(code=code, message=f"{where}: {text}", node_id=node_id, field=field, severity=severity)
        )

    def _edge(self, code: str, index: int, part: str, text: str, severity: Severity = "error") -> None:
        edge = self.defn.edges[index]
        field = f"edges[{index}].{part}"
        message = f"edge {index} ('{edge.source}' → '{edge.target}') {field}: {text}"
        node_id = edge.source if edge.source in self.nodes else None
        self.report.add(Issue(code=code, message=message, node_id=node_id, field=field, severity=severity))

    def _check_ids(self) -> None:
        seen: set[str] = set()
        for index, node in enumerate(self.defn.nodes):
            if node.id in seen:
                self._node(
                    "duplicate_node_id", node.id, "id", f"id is used by more than one node (nodes[{index}])"
                )
            seen.add(node.id)
            if node.id in RESERVED_NODE_IDS:
                self._node(
                    "reserved_node_id", node.id, "id", f"'{node.id}' is reserved in references; rename it"
                )

    def _check_trigger(self) -> None:
        triggers = [node for node in self.defn.nodes if isinstance(node, TriggerNode)]
        if not triggers:
            message = "definition nodes: add a trigger node (exactly one is required)"
            self.report.add(Issue(code="missing_trigger", message=message, field="nodes"))
        for extra in triggers[1:]:
            self._node(
                "multiple_triggers",
                extra.id,
                "type",
                f"only one trigger is allowed; '{triggers[0].id}' is one",
            )

    def _check_edges(self) -> None:
        seen: set[tuple[str, str, str]] = set()
        for index, edge in enumerate(self.defn.edges):
            known = True
            for part in ("source", "target"):
                node_id = getattr(edge, part)
                if node_id not in self.nodes:
                    known = False
                    self._edge(
                        f"unknown_edge_{part}", index, part, f"{node_id!r} is not a node{self._hint(node_id)}"
                    )
            if not known:
                continue
            if edge.source == edge.target:
                self._edge("self_loop", index, "target", "an edge cannot connect a node to itself")
            target = self.nodes[edge.target]
            if isinstance(target, TriggerNode):
                self._edge(
                    "trigger_has_incoming", index, "target", f"the trigger '{target.id}' cannot have inputs"
                )
            self._check_handle(index)
            key = (edge.source, edge.handle, edge.target)
            if key in seen:
                self._edge("duplicate_edge", index, "target", "the same connection appears twice", "warning")
            seen.add(key)

    def _check_handle(self, index: int) -> None:
        edge = self.defn.edges[index]
        source = self.nodes[edge.source]
        handles = output_handles(source)
        if edge.handle in handles:
            return
        listed = ", ".join(handles)
        if edge.source_handle is None and DEFAULT_HANDLE not in handles:
            text = f"a {source.type} node has no default output; set source_handle to one of: {listed}"
        else:
            text = (
                f"{edge.source_handle!r} is not an output of {source.type} '{source.id}' (handles: {listed})"
            )
        self._edge("invalid_source_handle", index, "source_handle", text)

    def _check_cycles(self) -> None:
        for group in self.graph.cycles():
            path = " → ".join(group)
            text = f"nodes {path} form a cycle; only a logic.loop's body may lead back (into the loop node)"
            self._node("cycle", group[0], "edges", text)

    def _check_loop_bodies(self) -> None:
        for loop_id, body in self.graph.loop_bodies.items():
            for edge in self.graph.edges:
                if edge.target not in body or edge.source in body:
                    continue
                if edge.source == loop_id and edge.handle == LOOP_BODY_HANDLE:
                    continue
                text = (
                    f"it is inside the body of loop '{loop_id}' but is also entered from '{edge.source}' "
                    f"({edge.handle}), outside that body"
                )
                self._node("loop_body_entry", edge.target, "edges", text)
            if not any(
                edge.source == loop_id and edge.handle == LOOP_BODY_HANDLE for edge in self.defn.edges
            ):
                self._node(
                    "empty_loop_body", loop_id, "edges", "nothing is connected to the body handle", "warning"
                )

    def _check_reachability(self) -> None:
        trigger = self.defn.trigger
        if trigger is None:
            return
        reachable = self.graph.reachable_from(trigger.id)
        severity: Severity = "error" if self.for_publish else "warning"
        for node in self.defn.nodes:
            if node.id not in reachable:
                self._node(
                    "unreachable_node",
                    node.id,
                    None,
                    f"no path leads to it from the trigger '{trigger.id}'",
                    severity,
                )

    def _check_references(self, node: Node) -> None:
        loops = self.graph.enclosing_loops(node.id) if node.id in self.graph.nodes else []
        upstream = self.graph.upstream(node.id)
        for field, source in template_strings(node):
            try:
                references = references_in(source, field=field)
            except TemplateError as exc:
                self._node("template_syntax", node.id, field, exc.message)
                continue
            unsafe = unsafe_constructs(source)
            if unsafe:  # the first is enough to fix; the rest usually come with it
                self._node("unsafe_template", node.id, field, unsafe[0])
            for reference in references:
                problem = self._reference_problem(node, reference, upstream, loops)
                if problem is not None:
                    code, text = problem
                    self._node(code, node.id, field, f"{{{{{reference.text}}}}}: {text}")

    def _reference_problem(
        self, node: Node, reference: Reference, upstream: set[str], loops: list[str]
    ) -> tuple[str, str] | None:
        path = reference.path
        first = path[0] if path else None
        if reference.kind == "env":
            if not isinstance(first, str):
                return "invalid_reference", "name a secret, as in {{env.NAME}}"
            if self.known_env is not None and first not in self.known_env:
                return "unknown_secret", f"there is no org secret named {first!r}"
            return None
        if reference.kind == "loop":
            if not loops:
                return "loop_outside_body", "loop variables exist only inside a logic.loop's body"
            if first not in LOOP_VARIABLES:
                return "invalid_reference", "use {{loop.item}} or {{loop.index}}"
            return None
        if reference.kind == "execution":
            if first not in EXECUTION_VARIABLES:
                return "invalid_reference", "use {{execution.id}}"
            return None
        target: Node | None
        if reference.kind == "trigger":
            target = self.defn.trigger
            if target is None:
                return "unknown_reference", "the definition has no trigger node"
        else:
            target = self.nodes.get(reference.root)
            if target is None:
                text = f"'{reference.root}' is not a node, trigger, env, loop or execution"
                return "unknown_reference", text + self._hint(reference.root)
            if target.id == node.id:
                return "reference_not_upstream", "a node cannot use its own output"
            if target.id in loops:
                text = f"loop '{target.id}' has output only after it ends; inside it, use {{{{loop.item}}}}"
                return "reference_not_upstream", text
            if target.id not in upstream:
                return "reference_not_upstream", f"node '{target.id}' does not run before '{node.id}'"
        if first != "output":
            return (
                "invalid_reference",
                f"node outputs are under .output, e.g. {{{{{reference.root}.output…}}}}",
            )
        closed = closed_output_keys(target)
        if closed is not None and len(path) > 1 and path[1] not in closed:
            known = ", ".join(sorted(closed))
            return (
                "unknown_output_field",
                f"a {target.type} node's output has no {path[1]!r} (it has: {known})",
            )
        return None

    def _hint(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self.nodes), n=1)
        return f" (did you mean '{close[0]}'?)" if close else ""

"""The agent definition: models, validation, templating, topology, diff and YAML/JSON I/O (pure domain)."""

from agentflow.graph.catalog import (
    NodeTypeInfo,
    node_types,
    output_handles,
    render_node_config,
    template_strings,
    type_handles,
)
from agentflow.graph.definition import (
    CONFIG_MODELS,
    DEFAULT_HANDLE,
    NODE_MODELS,
    AgentDefinition,
    AgentSettings,
    Edge,
    Node,
    NodeType,
    json_schema,
)
from agentflow.graph.diff import DefinitionDiff, NodeChange, diff_definitions
from agentflow.graph.errors import DefinitionError, GraphError, TemplateError
from agentflow.graph.outputs import OutputField, output_fields
from agentflow.graph.parsing import parse_definition
from agentflow.graph.report import Issue, ValidationReport
from agentflow.graph.topology import (
    AgentGraph,
    Variable,
    available_variables,
    loop_body,
    successors_by_handle,
    topological_order,
    upstream,
)
from agentflow.graph.validation import RESERVED_NODE_IDS, validate_definition
from agentflow.graph.yaml_io import dump_json, dump_yaml, load_json, load_yaml, loads_definition
from agentflow.nodes.models import *  # noqa: F403 - the node and config models are part of the public API
from agentflow.nodes.models import __all__ as _node_names
from agentflow.templating import (
    LoopFrame,
    Reference,
    build_context,
    list_references,
    references_in,
    render,
    render_string,
    unsafe_constructs,
)

__all__ = [
    "CONFIG_MODELS",
    "DEFAULT_HANDLE",
    "NODE_MODELS",
    "RESERVED_NODE_IDS",
    "AgentDefinition",
    "AgentGraph",
    "AgentSettings",
    "DefinitionDiff",
    "DefinitionError",
    "Edge",
    "GraphError",
    "Issue",
    "LoopFrame",
    "Node",
    "NodeChange",
    "NodeType",
    "NodeTypeInfo",
    "OutputField",
    "Reference",
    "TemplateError",
    "ValidationReport",
    "Variable",
    "available_variables",
    "build_context",
    "diff_definitions",
    "dump_json",
    "dump_yaml",
    "json_schema",
    "list_references",
    "load_json",
    "load_yaml",
    "loads_definition",
    "loop_body",
    "node_types",
    "output_fields",
    "output_handles",
    "parse_definition",
    "references_in",
    "render",
    "render_node_config",
    "render_string",
    "successors_by_handle",
    "template_strings",
    "topological_order",
    "type_handles",
    "unsafe_constructs",
    "upstream",
    "validate_definition",
    *_node_names,
]

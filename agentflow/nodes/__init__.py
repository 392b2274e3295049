"""Node handlers: one module per node type, each a small class with `async run(node, config, ctx)`."""

"""The formula tree: parse text to nodes, resolve names and dimensions, evaluate with numpy."""

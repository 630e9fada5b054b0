"""The language half: policy text -> parse -> AST -> validate -> lint and fmt, and loading."""

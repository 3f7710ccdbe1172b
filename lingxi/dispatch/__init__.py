"""lingxi.dispatch."""
__all__: list[str] = []

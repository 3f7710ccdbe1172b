"""lingxi.assistant."""
__all__: list[str] = []

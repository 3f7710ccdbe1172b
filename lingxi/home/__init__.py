"""lingxi.home."""
__all__: list[str] = []

"""lingxi.guide."""
__all__: list[str] = []

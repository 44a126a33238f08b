"""silkgate: the online integrated service platform of a cross-border e-commerce pilot zone."""

__version__ = "0.1.0"
